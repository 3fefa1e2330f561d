"""The authorizer's reads and writes, with a bare botocore client.

Two batched reads on a cold cache (key or AppCode + route; app + the candidate
authorizations) and one transactional write (nonce + call record) per allowed signed call.
Attribute names are those of ``storage/models.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.storage import clients

Item = dict[str, Any]


def _table(name: str) -> str:
    return settings().table_name(name)


def batch_get(requests: Sequence[tuple[str, Item]]) -> list[Item | None]:
    """Get items from several tables in one BatchGetItem; None where an item is absent."""
    if not requests:
        return []
    wanted: dict[str, list[Item]] = {}
    for table, key in requests:
        keys = wanted.setdefault(_table(table), [])
        if key not in keys:
            keys.append(key)
    found: list[tuple[str, Item]] = []
    pending: dict[str, Any] = {
        table: {"Keys": keys, "ConsistentRead": True} for table, keys in wanted.items()
    }
    for attempt in range(5):
        response = clients.dynamodb().batch_get_item(RequestItems=pending)
        for table, items in response.get("Responses", {}).items():
            found.extend((table, item) for item in items)
        pending = response.get("UnprocessedKeys") or {}
        if not pending:
            break
        time.sleep(0.01 * 2**attempt)
    return [_match(found, _table(table), key) for table, key in requests]


def _match(found: Iterable[tuple[str, Item]], table: str, key: Item) -> Item | None:
    for found_table, item in found:
        if found_table == table and all(item.get(name) == value for name, value in key.items()):
            return item
    return None


def _nonce_put(nonce_key: str, nonce_expires: int) -> Item:
    """The conditional put of a nonce; a row past its TTL counts as absent (lazy deletes)."""
    return {
        "TableName": _table("nonces"),
        "Item": {"nonce_key": {"S": nonce_key}, "expires_at": {"N": str(nonce_expires)}},
        "ConditionExpression": "attribute_not_exists(nonce_key) OR expires_at < :now",
        "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
    }


def consume_nonce_and_record(nonce_key: str, nonce_expires: int, records: list[Item]) -> bool:
    """Write the nonce (only if unused) and the call records atomically, in one request.

    False when the nonce was already used, including a concurrent replay that lost the race.
    A nonce row past its TTL counts as absent: DynamoDB deletes expired rows lazily.
    """
    items: list[Item] = [{"Put": _nonce_put(nonce_key, nonce_expires)}]
    items.extend({"Put": {"TableName": _table("call-records"), "Item": r}} for r in records)
    try:
        clients.dynamodb().transact_write_items(TransactItems=items)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            reasons = error.response.get("CancellationReasons") or [{}]
            if reasons[0].get("Code") in ("ConditionalCheckFailed", "TransactionConflict"):
                return False
        raise
    return True


def consume_nonce(nonce_key: str, nonce_expires: int) -> bool:
    """The nonce alone (form calls: the middleware consumes it after the form signature)."""
    try:
        clients.dynamodb().put_item(**_nonce_put(nonce_key, nonce_expires))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def put_records(records: list[Item]) -> None:
    if len(records) == 1:
        clients.dynamodb().put_item(TableName=_table("call-records"), Item=records[0])
        return
    clients.dynamodb().transact_write_items(
        TransactItems=[{"Put": {"TableName": _table("call-records"), "Item": r}} for r in records]
    )


def set_record_result(record_keys: list[tuple[str, str]], result: str, outcome: str) -> None:
    """Overwrite the verdict of records already written (the middleware's body check)."""
    for viewer, sort_key in record_keys:
        clients.dynamodb().update_item(
            TableName=_table("call-records"),
            Key={"viewer": {"S": viewer}, "sk": {"S": sort_key}},
            UpdateExpression="SET #r = :r, viewer_result = :vr, viewer_outcome = :vo",
            ConditionExpression="attribute_exists(viewer)",
            ExpressionAttributeNames={"#r": "result"},
            ExpressionAttributeValues={
                ":r": {"S": result},
                ":vr": {"S": f"{viewer}#{result}"},
                ":vo": {"S": f"{viewer}#{outcome}"},
            },
        )


def text(item: Item | None, name: str, default: str = "") -> str:
    if not item or name not in item:
        return default
    value = item[name]
    return str(value.get("S", default)) if "S" in value else default


def flag(item: Item, name: str, default: bool) -> bool:
    value = item.get(name)
    return bool(value["BOOL"]) if value and "BOOL" in value else default


def blob(item: Item, name: str) -> bytes:
    return bytes(item[name]["B"])


def text_list(item: Item, name: str) -> list[str]:
    value = item.get(name) or {}
    return [entry["S"] for entry in value.get("L", []) if "S" in entry]


def text_map(item: Item, name: str) -> dict[str, str]:
    value = item.get(name) or {}
    return {k: v["S"] for k, v in value.get("M", {}).items() if "S" in v}
