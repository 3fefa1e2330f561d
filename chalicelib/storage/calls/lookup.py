"""The one record of a call, found by the request id its caller saw.

A record is keyed ``r#<request_id>`` unless its signature was verified; then it is keyed by
its nonce, and a refusal carries ``idx_request``, the key of the sparse, keys-only
``by_request`` index. So a lookup reads at most one item by key, one index entry and the item
it names: three small reads, however many records the table holds. An allowed call's record
is not found here (``services.call_records`` looks for it among the successes).
"""

from __future__ import annotations

from chalicelib.domain.records import CallRecord
from chalicelib.storage import clients
from chalicelib.storage.calls.items import record_of, table
from chalicelib.storage.items import Item


def by_request_id(viewer: str, request_id: str) -> tuple[list[CallRecord], int]:
    """The records of ``request_id`` that ``viewer`` sees (one, or none), and items read."""
    found = _items(request_id)
    seen = [record for record in map(record_of, found) if viewer in record.viewers]
    return seen, len(found)


def _items(request_id: str) -> list[Item]:
    dynamodb = clients.dynamodb()
    own = dynamodb.get_item(TableName=table(), Key={"id": {"S": f"r#{request_id}"}}).get("Item")
    if own:
        return [own]
    entries = dynamodb.query(
        TableName=table(),
        IndexName="by_request",
        KeyConditionExpression="idx_request = :r",
        ExpressionAttributeValues={":r": {"S": request_id}},
        Limit=2,  # one call, one record: a second entry would be an id reused by a gateway
    ).get("Items", [])
    items = []
    for entry in entries:
        item = dynamodb.get_item(TableName=table(), Key={"id": entry["id"]}).get("Item")
        if item and _text(item, "request_id") == request_id:
            items.append(item)
    return items


def _text(item: Item, name: str) -> str:
    return str(item.get(name, {}).get("S", ""))
