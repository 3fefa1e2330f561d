"""The usage items the call-record stream keeps: per-bucket counts, and keys' and apps' use.

Counts live in the usage table, one item per scope and bucket with a ``c_<result>`` number per
verdict (``models.UsageModel``); ``call_count`` and ``last_used_at`` live on the key and app
items. Stream images are the call-records table's items (``models.CallRecordModel``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.domain.verdicts import SUCCESS
from chalicelib.storage import clients

COUNT_PREFIX = "c_"
# usage kind -> table and key attribute
_TARGETS = {"key": ("keys", "access_key"), "app": ("apps", "app_id")}

Record = dict[str, str]


def _plain(image: dict[str, Any]) -> Record:
    return {k: str(v.get("S", v.get("N", v.get("BOOL", "")))) for k, v in image.items()}


def record_changes(stream_records: Iterable[dict[str, Any]]) -> list[tuple[Record | None, Record]]:
    """Per call record in a stream batch, its state before the batch and after it (None
    before: a new record). TTL removals are skipped: they keep their history in the counts;
    so is the copy of a record kept when its nonce is used again (it was counted), whose
    item then holds the new call."""
    changes: dict[str, tuple[Record | None, Record]] = {}
    for stream_record in stream_records:
        event = stream_record.get("eventName")
        change = stream_record.get("dynamodb", {})
        new = _plain(change.get("NewImage") or {})
        if event not in ("INSERT", "MODIFY") or not new.get("time") or new.get("moved"):
            continue
        key = new.get("request_id", "")
        before = changes[key][0] if key in changes else None
        if key not in changes and event == "MODIFY":
            old = _plain(change.get("OldImage") or {})
            before = old if old.get("request_id") == key else None
        changes[key] = (before, new)
    return list(changes.values())


def add_counts(counts: Counter[tuple[str, str, str]]) -> None:
    """Add each (scope, bucket start, result) delta to its bucket's counter."""
    table = settings().table_name("usage")
    for (scope, start, result), delta in counts.items():
        if delta == 0:
            continue
        clients.dynamodb().update_item(
            TableName=table,
            Key={"scope": {"S": scope}, "bucket_start": {"S": start}},
            UpdateExpression="ADD #c :n",
            ExpressionAttributeNames={"#c": COUNT_PREFIX + result},
            ExpressionAttributeValues={":n": {"N": str(delta)}},
        )


def read_counts(scope: str, low: str, high: str) -> list[tuple[str, dict[str, int]]]:
    """Each bucket of ``scope`` from ``low`` to ``high`` with its non-zero counts."""
    pages = (
        clients.dynamodb()
        .get_paginator("query")
        .paginate(
            TableName=settings().table_name("usage"),
            KeyConditionExpression="#s = :s AND bucket_start BETWEEN :lo AND :hi",
            ExpressionAttributeNames={"#s": "scope"},
            ExpressionAttributeValues={":s": {"S": scope}, ":lo": {"S": low}, ":hi": {"S": high}},
        )
    )
    buckets = []
    for page in pages:
        for item in page.get("Items", []):
            counts = {
                name[len(COUNT_PREFIX) :]: int(v["N"])
                for name, v in item.items()
                if name.startswith(COUNT_PREFIX) and int(v["N"]) != 0
            }
            buckets.append((item["bucket_start"]["S"], counts))
    return buckets


def add_uses(uses: dict[tuple[str, str], tuple[int, str]]) -> None:
    """(kind, id) -> (calls to add, newest call time or ""), onto the key or app item."""
    for (kind, value), (count, latest) in uses.items():
        expression = "ADD call_count :n" + (" SET last_used_at = :t" if latest else "")
        values = {":n": {"N": str(count)}, **({":t": {"S": latest}} if latest else {})}
        _update(kind, value, expression, values)


def reset_last_used(kind: str, value: str) -> None:
    """last_used_at := the newest allowed call's time, read from its app's calls."""
    table, key_name = _TARGETS[kind]
    item = (
        clients.dynamodb()
        .get_item(TableName=settings().table_name(table), Key={key_name: {"S": value}})
        .get("Item")
    )
    if not item:
        return
    arguments: dict[str, Any] = {
        "TableName": settings().table_name("calls"),
        "IndexName": "by_app",
        "KeyConditionExpression": "idx_app = :app",
        "ExpressionAttributeValues": {":app": {"S": item["app_id"]["S"]}},
        "ScanIndexForward": False,
        "PaginationConfig": {"PageSize": 100, "MaxItems": 1},
    }
    # The app's partition holds its denials too (not its replays).
    arguments["FilterExpression"] = "#r = :ok"
    arguments["ExpressionAttributeNames"] = {"#r": "result"}
    arguments["ExpressionAttributeValues"][":ok"] = {"S": SUCCESS}
    if kind == "key":
        arguments["FilterExpression"] += " AND access_key = :key"
        arguments["ExpressionAttributeValues"][":key"] = {"S": value}
    for page in clients.dynamodb().get_paginator("query").paginate(**arguments):
        if page.get("Items"):
            newest = page["Items"][0]["time"]["S"]
            _update(kind, value, "SET last_used_at = :t", {":t": {"S": newest}})
            return
    _update(kind, value, "REMOVE last_used_at", {})


def _update(kind: str, value: str, expression: str, values: dict[str, Any]) -> None:
    table, key_name = _TARGETS[kind]
    arguments: dict[str, Any] = {
        "TableName": settings().table_name(table),
        "Key": {key_name: {"S": value}},
        "UpdateExpression": expression,
        "ConditionExpression": f"attribute_exists({key_name})",
    }
    if values:
        arguments["ExpressionAttributeValues"] = values
    try:
        clients.dynamodb().update_item(**arguments)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise  # a deleted key or app simply has no counter to keep
