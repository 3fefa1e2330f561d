"""The audit trail: every admin write and every secret reveal, listed back per account.

A service records an event by adding ``audit_event(...)`` to the transaction of the change it
records (``tx.save(audit_event(...))``), so a change and its event are written together or not
at all. Actions are ``<object_type>.<verb>``: the verbs are ``create``, ``update``, ``delete``,
``enable``, ``disable`` and a few named ones (``app.copy``, ``key.reveal``,
``key.reset_secret``, ``key.change_access_key``, ``whitelist.replace``); the README lists them.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.config import settings
from chalicelib.domain.clock import format_time, parse_time, utc_now
from chalicelib.domain.errors import ValidationFailed
from chalicelib.storage.models import AuditModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, query_page

if TYPE_CHECKING:  # accounts records events too
    from chalicelib.services.accounts import Principal

# Field names whose values never go into an event, whatever a service passes.
SECRET_FIELDS = frozenset({"secret", "token", "appcode", "secret_sealed", "data_key_sealed"})
EVENT_FIELDS = (
    "event_id",
    "time",
    "account_id",
    "token_id",
    "action",
    "object_type",
    "object_id",
)
# filter -> (attribute, index); the first filter given picks the index, the others filter.
_FILTERS = {
    "action": ("account_action", "by_action"),
    "object_id": ("account_object", "by_object"),
    "token_id": ("account_token", "by_token"),
}
MAX_READS = 2


def audit_event(
    principal: Principal,
    action: str,
    object_id: str,
    changes: dict[str, Any] | None = None,
) -> AuditModel:
    """The event for ``action`` (``<object_type>.<verb>``) on ``object_id``, to save with the
    change it records. Values of secret fields are dropped from ``changes``."""
    object_type = action.split(".", 1)[0]
    now = utc_now()
    event_id = "evt-" + secrets.token_hex(8)
    account = principal.account_id
    kept = {k: v for k, v in (changes or {}).items() if k not in SECRET_FIELDS}
    # Microseconds in the sort key keep one caller's quick writes in order; ``time`` shows ms.
    sort_time = now.isoformat(timespec="microseconds")[:-6] + "Z"
    return AuditModel(
        account,
        f"{sort_time}#{event_id}",
        event_id=event_id,
        time=format_time(now),
        token_id=principal.token_id or "-",
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=json.dumps(kept, sort_keys=True, default=str, ensure_ascii=False),
        account_action=f"{account}#{action}",
        account_object=f"{account}#{object_id}",
        account_token=f"{account}#{principal.token_id or '-'}",
        expires_at=now + timedelta(days=settings().audit_retention_days),
    )


def _event_view(item: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {name: item.get(name, {}).get("S") for name in EVENT_FIELDS}
    try:
        view["changes"] = json.loads(item.get("changes", {}).get("S") or "{}")
    except ValueError:
        view["changes"] = {}
    return view


def list_events(
    principal: Principal,
    *,
    action: str | None = None,
    object_id: str | None = None,
    token_id: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The account's events, newest first; each filter is a Query on its own index."""
    low = parse_time(from_, "from") if from_ else None
    high = parse_time(to, "to") if to else None
    if low and high and low > high:
        raise ValidationFailed("must not be after 'to'", "from")
    account = principal.account_id
    given = {"action": action, "object_id": object_id, "token_id": token_id}
    chosen = next((name for name, value in given.items() if value), None)
    partition = _FILTERS[chosen][0] if chosen else "account_id"
    names = {"#p": partition}
    values: dict[str, Any] = {":p": {"S": f"{account}#{given[chosen]}" if chosen else account}}
    condition = "#p = :p"
    if low or high:
        # Bounds at the millisecond the API shows: its prefix of the sort key's time.
        values[":lo"] = {"S": format_time(low)[:-1] if low else "0"}
        values[":hi"] = {"S": (format_time(high)[:-1] if high else "9") + "\uffff"}
        condition += " AND sk BETWEEN :lo AND :hi"
    extra = []
    for name, value in given.items():
        if value and name != chosen:
            attribute = _FILTERS[name][0]
            names[f"#{attribute}"] = attribute
            values[f":{attribute}"] = {"S": f"{account}#{value}"}
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
    fixed = {"account_id": account, **({partition: values[":p"]["S"]} if chosen else {})}
    start_key = decode_cursor(cursor, key_attributes, fixed)
    found = query_page(arguments, start_key, limit, MAX_READS)
    items, last_key = found.items, found.last_key
    return {
        "items": [_event_view(item) for item in items],
        "next_cursor": encode_cursor(last_key),
        "retention_days": settings().audit_retention_days,
    }
