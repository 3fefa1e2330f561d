"""Writing call records: a verified call's record is its nonce; an allowed call's limit
counters go with it; the body check turns an allowed call's record into a denial."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.records import CallRecord, RecordRef
from chalicelib.domain.verdicts import FAILURE
from chalicelib.storage import clients
from chalicelib.storage.calls import transaction
from chalicelib.storage.calls.items import FIELD_LIMITS, Nonce, clean, record_item, table
from chalicelib.storage.calls.takeover import take_over
from chalicelib.storage.calls.transaction import NONCE, Counter
from chalicelib.storage.items import Item

logger = logging.getLogger("apiauth.calls")


def save(record: CallRecord, nonce: Nonce | None = None, counters: Sequence[Counter] = ()) -> str:
    """Store a call's record, with its nonce (only if unused) and for an allowed call each
    limit's counter (only if under its limit), in one request.

    Returns "" when written, "nonce" when the nonce was already used (a concurrent replay
    included), else the window whose limit is reached; then nothing was written. A call no
    account can see is logged instead (only a call without a verified signature can be).
    """
    item = record_item(record, nonce)
    if item is None:
        _log_unattributed(record)
        return ""
    put: Item = {"TableName": table(), "Item": item}
    if nonce is not None:
        put["ConditionExpression"] = "attribute_not_exists(id)"
        put["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if not counters:
        try:
            clients.dynamodb().put_item(**put)
            return ""
        except ClientError as error:
            if transaction.error_code(error) != "ConditionalCheckFailedException":
                raise
            if nonce is None:
                raise
            old = error.response.get("Item") or {}
    else:
        writes = [transaction.put(put, NONCE if nonce else "")]
        refused, old = transaction.run(writes, counters)
        if refused != NONCE or nonce is None:
            return refused
    return take_over(item, nonce, counters, old)


def mark_failed(ref: RecordRef, result: str) -> None:
    """Turn an allowed call's record into a denial (the body check, after the authorizer):
    it moves to its viewers' failures."""
    values = {":r": {"S": result}}
    assignments = ["#r = :r"]
    for name, viewer in zip(("viewer", "other_viewer"), ref.viewers, strict=False):
        values[f":{name}"] = {"S": f"{viewer}#{FAILURE}"}
        assignments.append(f"{name} = :{name}")
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
