"""Call records in DynamoDB, bare botocore: writing them (with the nonce and the limit counters
of an allowed call) and reading them back for the console.

A record is stored once per viewer account (the API's owner and the app's owner) with the index
attributes each query needs (``models.CallRecordModel``), so an account's queries never leave
its own partitions. A call that no account can see is logged, never stored.

| filter given first             | index       | partition            |
| ------------------------------ | ----------- | -------------------- |
| app_id                         | by_app      | viewer#app_id        |
| api_id                         | by_api      | viewer#api_id        |
| access_key                     | by_key      | viewer#access_key    |
| result=success/failure         | by_outcome  | viewer#outcome       |
| result=<code>                  | by_result   | viewer#code          |
| none                           | table       | viewer               |

The time range is a condition on the sort key ``<time>#<request_id>``. Filters beyond the
first become a FilterExpression; such a page reads at most ``MAX_READS`` DynamoDB pages and
may come back short with a ``next_cursor``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.domain.clock import format_time
from chalicelib.domain.records import CallRecord, RecordRef
from chalicelib.domain.verdicts import FAILURE, SUCCESS
from chalicelib.storage import clients
from chalicelib.storage.pagination import Key, decode_cursor, query_page

Item = dict[str, Any]
logger = logging.getLogger("apiauth.calls")

CONFLICT_RETRIES = 4
# Caller-controlled text is cut to these lengths (and made valid UTF-8) before it is stored.
# The other fields are ours (ids, times, verdicts).
FIELD_LIMITS = {"path": 1024, "access_key": 64, "stage": 16, "method": 16, "source_ip": 64}


def sort_key(record: CallRecord) -> str:
    return f"{record.time}#{record.request_id}"


def record_ref(record: CallRecord) -> RecordRef:
    return RecordRef(record.viewers, sort_key(record))


def save(record: CallRecord) -> None:
    """Store the record for each viewer; log it when it has none."""
    items = record_items(record)
    if not items:
        _log_unattributed(record)
    elif len(items) == 1:
        clients.dynamodb().put_item(TableName=_table(), Item=items[0])
    else:
        clients.dynamodb().transact_write_items(
            TransactItems=[{"Put": {"TableName": _table(), "Item": item}} for item in items]
        )


class Counter(NamedTuple):
    """One window's counter of an authorization's limit, raised by an allowed call."""

    key: str
    limit: int
    expires_at: int  # epoch seconds: TTL, after the window
    window: str


def save_allowed(
    record: CallRecord, nonce: tuple[str, int] | None, counters: Sequence[Counter]
) -> str:
    """Store an allowed (or verified) call atomically in one request: the nonce (only if
    unused), the record, and each limit's counter (only if under its limit).

    Returns "" when written, "nonce" when the nonce was already used (a concurrent replay
    included), else the window whose limit is reached; then nothing was written. A nonce row
    past its TTL counts as absent: DynamoDB deletes expired rows lazily.
    """
    if nonce is None and not counters:
        save(record)
        return ""
    conditions: list[str] = []
    transaction: list[Item] = []
    if nonce is not None:
        transaction.append({"Put": nonce_put(*nonce)})
        conditions.append("nonce")
    for counter in counters:
        transaction.append({"Update": _counter_update(counter)})
        conditions.append(counter.window)
    records = record_items(record)
    transaction.extend({"Put": {"TableName": _table(), "Item": item}} for item in records)
    conditions.extend("" for _ in records)
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            clients.dynamodb().transact_write_items(TransactItems=transaction)
            return ""
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons") or []]
            named = list(zip(conditions, reasons, strict=False))
            failed = [name for name, code in named if name and code == "ConditionalCheckFailed"]
            # A concurrent request with the same nonce: a replay racing the original.
            racing = [name for name, code in named if name and code == "TransactionConflict"]
            if failed or "nonce" in racing:
                # The nonce first: "nonce unused" comes before the limits in the contract.
                return "nonce" if "nonce" in failed + racing else failed[0]
            if not racing or attempt == CONFLICT_RETRIES:
                raise
            # Other calls raising the same counters at once: nothing was written, try again.
            time.sleep(random.uniform(0.005, 0.02) * 2**attempt)
    raise AssertionError("unreachable")


def _counter_update(counter: Counter) -> Item:
    return {
        "TableName": settings().table_name("counters"),
        "Key": {"counter_key": {"S": counter.key}},
        "UpdateExpression": "ADD calls :one SET expires_at = :expires",
        "ConditionExpression": "attribute_not_exists(calls) OR calls < :limit",
        "ExpressionAttributeValues": {
            ":one": {"N": "1"},
            ":limit": {"N": str(counter.limit)},
            ":expires": {"N": str(counter.expires_at)},
        },
    }


def nonce_put(nonce_key: str, nonce_expires: int) -> Item:
    """The conditional put of a nonce; a row past its TTL counts as absent (lazy deletes)."""
    return {
        "TableName": settings().table_name("nonces"),
        "Item": {"nonce_key": {"S": nonce_key}, "expires_at": {"N": str(nonce_expires)}},
        "ConditionExpression": "attribute_not_exists(nonce_key) OR expires_at < :now",
        "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
    }


def set_result(ref: RecordRef, result: str) -> None:
    """Overwrite the verdict of a call's records (the body check, after the authorizer)."""
    outcome = SUCCESS if result == SUCCESS else FAILURE
    for viewer in ref.viewers:
        clients.dynamodb().update_item(
            TableName=_table(),
            Key={"viewer": {"S": viewer}, "sk": {"S": ref.sort_key}},
            UpdateExpression="SET #r = :r, viewer_result = :vr, viewer_outcome = :vo",
            ConditionExpression="attribute_exists(viewer)",
            ExpressionAttributeNames={"#r": "result"},
            ExpressionAttributeValues={
                ":r": {"S": result},
                ":vr": {"S": f"{viewer}#{result}"},
                ":vo": {"S": f"{viewer}#{outcome}"},
            },
        )


def _table() -> str:
    return settings().table_name("call-records")


def _clean(value: str, limit: int) -> str:
    if value.isascii() and len(value) <= limit:
        return value
    return value[:limit].encode("utf-8", "replace").decode("utf-8")


def record_items(record: CallRecord) -> list[Item]:
    """One item per viewer, with the index attributes each query needs."""
    r = record
    fields: Item = {
        "request_id": {"S": r.request_id},
        "time": {"S": r.time},
        "method": {"S": _clean(r.method, FIELD_LIMITS["method"])},
        "path": {"S": _clean(r.path, FIELD_LIMITS["path"])},
        "result": {"S": r.result},
        "latency_ms": {"N": f"{r.latency_ms:.3f}"},
    }
    for name, value in (
        ("source_ip", r.source_ip),
        ("stage", r.stage),
        ("access_key", r.access_key),
    ):
        if value:
            fields[name] = {"S": _clean(value, FIELD_LIMITS[name])}
    for name, value in (
        ("auth_method", r.auth_method),
        ("app_id", r.app_id),
        ("api_id", r.api_id),
        ("caller_account_id", r.caller_account_id),
        ("provider_account_id", r.provider_account_id),
        ("secret", r.secret),
    ):
        if value:
            fields[name] = {"S": value}
    if r.retry_after:
        fields["retry_after"] = {"N": str(r.retry_after)}
    expires = {"N": str(int(time.time()) + settings().record_retention_days * 86400)}
    sort = {"S": sort_key(r)}
    outcome = SUCCESS if r.result == SUCCESS else FAILURE
    access_key = fields["access_key"]["S"] if "access_key" in fields else ""
    items: list[Item] = []
    for viewer in r.viewers:
        item: Item = {
            **fields,
            "viewer": {"S": viewer},
            "sk": sort,
            "viewer_result": {"S": f"{viewer}#{r.result}"},
            "viewer_outcome": {"S": f"{viewer}#{outcome}"},
            "expires_at": expires,
        }
        if r.app_id:
            item["viewer_app"] = {"S": f"{viewer}#{r.app_id}"}
        if r.api_id:
            item["viewer_api"] = {"S": f"{viewer}#{r.api_id}"}
        if access_key:
            item["viewer_key"] = {"S": f"{viewer}#{access_key}"}
        items.append(item)
    return items


def _log_unattributed(record: CallRecord) -> None:
    fields: dict[str, Any] = {}
    for name, value in zip(record._fields, record, strict=True):
        if value:
            limit = FIELD_LIMITS.get(name)
            fields[name] = _clean(value, limit) if limit and isinstance(value, str) else value
    logger.info(json.dumps({"event": "call", "attributed": False, **fields}, ensure_ascii=False))


# -- reading ----------------------------------------------------------------------------------

MAX_READS = 2  # DynamoDB pages read for one page of records with a second filter


class RecordFilter(NamedTuple):
    app_id: str | None = None
    api_id: str | None = None
    access_key: str | None = None
    result: str | None = None  # "success", "failure" or a verdict code


class RecordPage(NamedTuple):
    records: list[CallRecord]
    last_key: Key | None
    scanned: int


def query(
    viewer: str,
    filters: RecordFilter,
    low: datetime | None,
    high: datetime | None,
    limit: int,
    cursor: str | None,
) -> RecordPage:
    """A viewer's records, newest first. The first filter given picks its index (the table
    itself without one); the others become a FilterExpression; the time range bounds ``sk``.
    A forged or foreign cursor is a ValidationFailed."""
    outcome = filters.result in (SUCCESS, FAILURE)
    by_attribute = {
        "viewer_app": filters.app_id,
        "viewer_api": filters.api_id,
        "viewer_key": filters.access_key,
        "viewer_outcome" if outcome else "viewer_result": filters.result,
    }
    chosen = next((name for name, value in by_attribute.items() if value), None)
    names: dict[str, str] = {"#p": chosen or "viewer"}
    values: dict[str, Any] = {":p": {"S": f"{viewer}#{by_attribute[chosen]}" if chosen else viewer}}
    condition = "#p = :p"
    if low or high:
        values[":lo"] = {"S": format_time(low) if low else "0"}
        values[":hi"] = {"S": (format_time(high) if high else "9") + "#\uffff"}
        condition += " AND sk BETWEEN :lo AND :hi"
    extra = []
    for name, value in by_attribute.items():
        if value and name != chosen:
            names[f"#{name}"] = name
            values[f":{name}"] = {"S": f"{viewer}#{value}"}
            extra.append(f"#{name} = :{name}")
    arguments: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    if chosen:
        arguments["IndexName"] = INDEX_OF[chosen]
    if extra:
        arguments["FilterExpression"] = " AND ".join(extra)
    key_attributes = {"viewer", "sk"} | ({chosen} if chosen else set())
    fixed = {"viewer": viewer, **({chosen: values[":p"]["S"]} if chosen else {})}
    start_key = decode_cursor(cursor, key_attributes, fixed)
    found = query_page(arguments, start_key, limit, MAX_READS)
    return RecordPage([record_of(item) for item in found.items], found.last_key, found.scanned)


# index attribute -> its index (models.CallRecordModel)
INDEX_OF = {
    "viewer_app": "by_app",
    "viewer_api": "by_api",
    "viewer_key": "by_key",
    "viewer_result": "by_result",
    "viewer_outcome": "by_outcome",
}


def record_of(item: Item) -> CallRecord:
    """The record an item holds (the viewer's copy)."""

    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    def number(name: str) -> str:
        return str(item.get(name, {}).get("N", "0"))

    return CallRecord(
        request_id=text("request_id"),
        time=text("time"),
        method=text("method"),
        path=text("path"),
        source_ip=text("source_ip"),
        stage=text("stage"),
        result=text("result"),
        latency_ms=float(number("latency_ms")),
        auth_method=text("auth_method"),
        access_key=text("access_key"),
        app_id=text("app_id"),
        api_id=text("api_id"),
        caller_account_id=text("caller_account_id"),
        provider_account_id=text("provider_account_id"),
        secret=text("secret"),
        retry_after=int(number("retry_after")),
    )
