"""Writing call records: a verified call's record is its nonce; an allowed call's limit
counters go just before it; the body check turns an allowed call's record into a denial."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.clock import format_time
from chalicelib.domain.limits import start_of
from chalicelib.domain.records import CallRecord, RecordRef
from chalicelib.domain.verdicts import FAILURE
from chalicelib.storage import clients
from chalicelib.storage.calls import counting, transaction
from chalicelib.storage.calls.counting import Counter
from chalicelib.storage.calls.items import (
    FIELD_LIMITS,
    Nonce,
    clean,
    keyed_by_nonce,
    record_item,
    table,
)
from chalicelib.storage.calls.takeover import take_over
from chalicelib.storage.items import Item

logger = logging.getLogger("apiauth.calls")


def save(record: CallRecord, nonce: Nonce | None = None, counters: Sequence[Counter] = ()) -> str:
    """Store a call's record, with its nonce (only if unused) and for an allowed call each
    limit's counter (only if under its limit).

    Returns "" when written, "nonce" when the nonce was already used (a concurrent replay
    included), else the window whose limit is reached; then nothing was written. A call no
    account can see is logged instead (only a call without a verified signature can be).

    The counters go first, in one conditional update of their own (``counting``), and the
    record after them: a limit never lets one call too many through, and a call whose nonce
    turns out used is taken back out of the windows. Neither is a transaction, which would
    double the write units of both.
    """
    item = record_item(record, nonce)
    if item is None:
        _log_unattributed(record)
        return ""
    raised = counting.raise_counts(counters)
    if raised.refused:
        # Nothing written. The caller puts the refusal's record under the nonce, and that
        # conditional put names a replay as one ("nonce unused" comes before the limits).
        return raised.refused
    if raised.moved_to:
        # Counted in a window that began after the call's time (it waited, and a later call
        # moved the window on first): it happened there, and its record says so, so that no
        # window's records ever show more calls than its limit.
        moved = format_time(start_of(raised.moved_to))
        item = record_item(record._replace(time=max(record.time, moved)), nonce) or item
    try:
        written = _put(item, nonce)
    except BaseException:
        counting.lower_counts(raised.counted)  # not stored: the call did not happen
        raise
    if written:
        counting.lower_counts(raised.counted)
    return written


def _put(item: Item, nonce: Nonce | None) -> str:
    put: Item = {"TableName": table(), "Item": item}
    if nonce is not None:
        put["ConditionExpression"] = "attribute_not_exists(id)"
        put["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    try:
        clients.dynamodb().put_item(**put)
        return ""
    except ClientError as error:
        if transaction.error_code(error) != "ConditionalCheckFailedException":
            raise
        if nonce is None:
            raise
        old = error.response.get("Item") or {}
    return take_over(item, nonce, old)


def mark_failed(ref: RecordRef, result: str) -> None:
    """Turn an allowed call's record into a denial (the body check, after the authorizer):
    it moves to its viewers' failures."""
    values = {":r": {"S": result}}
    assignments = ["#r = :r"]
    for name, viewer in zip(("viewer", "other_viewer"), ref.viewers, strict=False):
        values[f":{name}"] = {"S": f"{viewer}#{FAILURE}"}
        assignments.append(f"{name} = :{name}")
    if keyed_by_nonce(ref.record_id):  # a refusal now: found by its request id (items)
        assignments.append("idx_request = request_id")
    clients.dynamodb().update_item(
        TableName=table(),
        Key={"id": {"S": ref.record_id}},
        UpdateExpression=f"SET {', '.join(assignments)}",
        ConditionExpression="attribute_exists(id)",
        ExpressionAttributeNames={"#r": "result"},
        ExpressionAttributeValues=values,
    )


def _log_unattributed(record: CallRecord) -> None:
    fields: dict[str, Any] = {}
    for name, value in zip(record._fields, record, strict=True):
        if value:
            limit = FIELD_LIMITS.get(name)
            fields[name] = clean(value, limit) if limit and isinstance(value, str) else value
    logger.info(json.dumps({"event": "call", "attributed": False, **fields}, ensure_ascii=False))
