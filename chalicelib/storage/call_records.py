"""Writing call records (and the nonce that goes with an allowed signed call), bare botocore.

A record is stored once per viewer account with the index attributes each console query needs
(``models.CallRecordModel``). A call that no account can see is logged, never stored.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.domain.records import CallRecord, RecordRef
from chalicelib.domain.verdicts import FAILURE, SUCCESS
from chalicelib.storage import clients

Item = dict[str, Any]
logger = logging.getLogger("apiauth.calls")

CONFLICT_RETRIES = 4
# Caller-controlled text is cut to these lengths (and made valid UTF-8) before it is stored.
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


def _clean(name: str, value: str) -> str:
    limit = FIELD_LIMITS.get(name, 256)
    if value.isascii() and len(value) <= limit:
        return value
    return value[:limit].encode("utf-8", "replace").decode("utf-8")


def record_items(record: CallRecord) -> list[Item]:
    """One item per viewer, with the index attributes each query needs."""
    expires = int(time.time()) + settings().record_retention_days * 86400
    outcome = SUCCESS if record.result == SUCCESS else FAILURE
    fields: Item = {}
    for name, value in record._asdict().items():
        if isinstance(value, float):
            fields[name] = {"N": f"{value:.3f}"}
        elif isinstance(value, int):
            if value:
                fields[name] = {"N": str(value)}
        elif value:
            fields[name] = {"S": _clean(name, value)}
    items: list[Item] = []
    for viewer in record.viewers:
        item: Item = {
            **fields,
            "viewer": {"S": viewer},
            "sk": {"S": sort_key(record)},
            "viewer_result": {"S": f"{viewer}#{record.result}"},
            "viewer_outcome": {"S": f"{viewer}#{outcome}"},
            "expires_at": {"N": str(expires)},
        }
        for index_attribute, source in (
            ("viewer_app", record.app_id),
            ("viewer_api", record.api_id),
            ("viewer_key", record.access_key),
        ):
            if source:
                item[index_attribute] = {"S": f"{viewer}#{_clean('access_key', source)}"}
        items.append(item)
    return items


def _log_unattributed(record: CallRecord) -> None:
    fields = {name: value for name, value in record._asdict().items() if value}
    fields = {k: _clean(k, v) if isinstance(v, str) else v for k, v in fields.items()}
    logger.info(json.dumps({"event": "call", "attributed": False, **fields}, ensure_ascii=False))
