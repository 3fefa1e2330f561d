"""The audit table (AuditModel): events written with the change they record, listed back.

An event lives in its account's partition under ``<time>#<event_id>``, the time to the
microsecond; each filter has its own index keyed ``<account>#<value>`` so every filter is a
Query (never a Scan).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.config import settings
from chalicelib.domain.admin import AuditEvent, Page
from chalicelib.domain.clock import format_time
from chalicelib.storage.items import NUMBER, TEXT, Table
from chalicelib.storage.models import AuditModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, query_page
from chalicelib.storage.transactions import Transaction, Write

# filter -> (attribute, index); the first filter given picks the index, the others filter.
_FILTERS = {
    "action": ("account_action", "by_action"),
    "object_id": ("account_object", "by_object"),
    "token_id": ("account_token", "by_token"),
}
MAX_READS = 2
_SORT_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def _item(event: AuditEvent) -> AuditModel:
    account = event.account_id
    sort_time = event.at.astimezone(UTC).strftime(_SORT_TIME)
    return AuditModel(
        account,
        f"{sort_time}#{event.event_id}",
        event_id=event.event_id,
        time=format_time(event.at),
        token_id=event.token_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        changes=json.dumps(event.changes, sort_keys=True, default=str, ensure_ascii=False),
        account_action=f"{account}#{event.action}",
        account_object=f"{account}#{event.object_id}",
        account_token=f"{account}#{event.token_id}",
        expires_at=event.expires_at,
    )


def record(event: AuditEvent) -> Write:
    """The event, to write in the transaction of the change it records."""

    def add(tx: Transaction) -> None:
        tx.save(_item(event))

    return add


def record_now(event: AuditEvent) -> None:
    """An event that records no write (a secret revealed): stored before the answer leaves."""
    _item(event).save()


# The attributes an event's item holds as they are; the others are derived or JSON.
EVENTS = Table(
    {
        "event_id": TEXT,
        "account_id": TEXT,
        "token_id": TEXT,
        "action": TEXT,
        "object_type": TEXT,
        "object_id": TEXT,
    }
)


def _event(item: dict[str, Any]) -> AuditEvent:
    try:
        changes = json.loads(TEXT.read(item.get("changes")) or "{}")
    except ValueError:
        changes = {}
    sort_time = TEXT.read(item.get("sk")).partition("#")[0]
    return AuditEvent(
        **EVENTS.read(item),
        changes=changes,
        at=datetime.strptime(sort_time, _SORT_TIME).replace(tzinfo=UTC),
        expires_at=datetime.fromtimestamp(NUMBER.read(item.get("expires_at")), UTC),
    )


def list_events(
    account_id: str,
    filters: dict[str, str | None],
    low: datetime | None,
    high: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[AuditEvent]:
    """The account's events, newest first; ``filters`` by action, object_id and token_id."""
    chosen = next((name for name, value in filters.items() if value), None)
    partition = _FILTERS[chosen][0] if chosen else "account_id"
    names = {"#p": partition}
    values: dict[str, Any] = {
        ":p": {"S": f"{account_id}#{filters[chosen]}" if chosen else account_id}
    }
    condition = "#p = :p"
    if low or high:
        # Bounds at the millisecond the API shows: its prefix of the sort key's time.
        values[":lo"] = {"S": format_time(low)[:-1] if low else "0"}
        values[":hi"] = {"S": (format_time(high)[:-1] if high else "9") + "\uffff"}
        condition += " AND sk BETWEEN :lo AND :hi"
    extra = []
    for name, value in filters.items():
        if value and name != chosen:
            attribute = _FILTERS[name][0]
            names[f"#{attribute}"] = attribute
            values[f":{attribute}"] = {"S": f"{account_id}#{value}"}
            extra.append(f"#{attribute} = :{attribute}")
    arguments: dict[str, Any] = {
        "TableName": settings().table_name("audit"),
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    if chosen:
        arguments["IndexName"] = _FILTERS[chosen][1]
    if extra:
        arguments["FilterExpression"] = " AND ".join(extra)
    key_attributes = {"account_id", "sk"} | ({partition} if chosen else set())
    fixed = {"account_id": account_id, **({partition: values[":p"]["S"]} if chosen else {})}
    start_key = decode_cursor(cursor, key_attributes, fixed)
    found = query_page(arguments, start_key, limit, MAX_READS)
    return Page([_event(item) for item in found.items], encode_cursor(found.last_key))
