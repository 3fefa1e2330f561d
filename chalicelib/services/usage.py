"""Counters kept from the call-record stream, off the authorizer's hot path.

The authorizer writes only the nonce and the record. DynamoDB Streams hands each batch of
new or changed records to ``aggregate`` (the ``record_aggregator`` Lambda in AWS, a poller
thread locally), which folds them into per-bucket counts for the stats endpoint and into
``call_count`` / ``last_used_at`` of keys and apps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.domain.clock import format_time
from chalicelib.domain.verdicts import SUCCESS
from chalicelib.storage import clients

GRANULARITIES = {"minute": 16, "hour": 13, "day": 10}  # prefix length of the ISO time


def bucket_start(time_text: str, granularity: str) -> str:
    """The bucket's start in the one time format of the API (milliseconds included)."""
    prefix = time_text[: GRANULARITIES[granularity]]
    suffix = {"minute": ":00.000Z", "hour": ":00:00.000Z", "day": "T00:00:00.000Z"}
    return prefix + suffix[granularity]


def scope_id(viewer: str, kind: str, value: str, granularity: str) -> str:
    return f"{viewer}|{kind}|{value}|{granularity}"


def _plain(image: dict[str, Any]) -> dict[str, str]:
    return {k: str(v.get("S", v.get("N", ""))) for k, v in image.items()}


def _scopes(record: dict[str, str]) -> list[tuple[str, str]]:
    viewer = record.get("viewer", "")
    scopes = []
    for granularity in GRANULARITIES:
        start = bucket_start(record.get("time", ""), granularity)
        scopes.append((scope_id(viewer, "all", "-", granularity), start))
        for kind in ("app", "api"):
            value = record.get(f"{kind}_id")
            if value:
                scopes.append((scope_id(viewer, kind, value, granularity), start))
    return scopes


def _net_changes(
    stream_records: Iterable[dict[str, Any]],
) -> list[tuple[dict[str, str] | None, dict[str, str]]]:
    """Per call record, its state before this batch and after it (None before: new record)."""
    changes: dict[tuple[str, str], tuple[dict[str, str] | None, dict[str, str]]] = {}
    for stream_record in stream_records:
        event = stream_record.get("eventName")
        change = stream_record.get("dynamodb", {})
        new = _plain(change.get("NewImage") or {})
        if event not in ("INSERT", "MODIFY") or not new.get("time"):
            continue  # TTL removals keep their history in the counts
        key = (new.get("viewer", ""), new.get("sk", ""))
        before = changes[key][0] if key in changes else None
        if key not in changes and event == "MODIFY":
            before = _plain(change.get("OldImage") or {})
        changes[key] = (before, new)
    return list(changes.values())


def aggregate(stream_records: Iterable[dict[str, Any]]) -> None:
    counts: Counter[tuple[str, str, str]] = Counter()
    uses: dict[tuple[str, str, str], tuple[int, str]] = {}
    recheck: set[tuple[str, str, str, str]] = set()
    for before, after in _net_changes(stream_records):
        if before is not None and before.get("result") == after.get("result"):
            continue
        for record, delta in ((before, -1), (after, 1)):
            if record is None:
                continue
            for scope, start in _scopes(record):
                counts[(scope, start, record.get("result", ""))] += delta
        # Key and app usage once per call: from the app owner's copy of the record.
        if after.get("viewer") != after.get("caller_account_id"):
            continue
        was_success = before is not None and before.get("result") == SUCCESS
        is_success = after.get("result") == SUCCESS
        if was_success == is_success:
            continue
        for table, key_name, index in (
            ("keys", "access_key", "by_key"),
            ("apps", "app_id", "by_app"),
        ):
            value = after.get(key_name)
            if not value:
                continue
            count, latest = uses.get((table, key_name, value), (0, ""))
            if is_success:
                uses[(table, key_name, value)] = (count + 1, max(latest, after["time"]))
            else:
                # Allowed by the authorizer, then refused by the body check: last_used_at
                # goes back to the newest call that really got through.
                uses[(table, key_name, value)] = (count - 1, latest)
                recheck.add((table, key_name, value, index))
    _write_counts(counts)
    _write_uses(uses)
    for table, key_name, value, index in recheck:
        _reset_last_used(table, key_name, value, index)


def _write_counts(counts: Counter[tuple[str, str, str]]) -> None:
    table = settings().table_name("usage")
    for (scope, start, result), delta in counts.items():
        if delta == 0:
            continue
        clients.dynamodb().update_item(
            TableName=table,
            Key={"scope": {"S": scope}, "bucket_start": {"S": start}},
            UpdateExpression="ADD #c :n",
            ExpressionAttributeNames={"#c": f"c_{result}"},
            ExpressionAttributeValues={":n": {"N": str(delta)}},
        )


def _write_uses(uses: dict[tuple[str, str, str], tuple[int, str]]) -> None:
    for (table, key_name, value), (count, latest) in uses.items():
        expression = "ADD call_count :n" + (" SET last_used_at = :t" if latest else "")
        values = {":n": {"N": str(count)}, **({":t": {"S": latest}} if latest else {})}
        _update_usage(table, key_name, value, expression, values)


def _update_usage(
    table: str, key_name: str, value: str, expression: str, values: dict[str, Any]
) -> None:
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


def _reset_last_used(table: str, key_name: str, value: str, index: str) -> None:
    """last_used_at := the newest successful call's time, read from the owner's records."""
    item = (
        clients.dynamodb()
        .get_item(TableName=settings().table_name(table), Key={key_name: {"S": value}})
        .get("Item")
    )
    if not item:
        return
    viewer = item["account_id"]["S"]
    arguments: dict[str, Any] = {
        "TableName": settings().table_name("call-records"),
        "IndexName": index,
        "KeyConditionExpression": "#p = :p",
        "FilterExpression": "#r = :ok",
        "ExpressionAttributeNames": {"#p": f"viewer_{index[3:]}", "#r": "result"},
        "ExpressionAttributeValues": {":p": {"S": f"{viewer}#{value}"}, ":ok": {"S": SUCCESS}},
        "ScanIndexForward": False,
        "PaginationConfig": {"PageSize": 100, "MaxItems": 1},
    }
    for page in clients.dynamodb().get_paginator("query").paginate(**arguments):
        if page.get("Items"):
            newest = page["Items"][0]["time"]["S"]
            _update_usage(table, key_name, value, "SET last_used_at = :t", {":t": {"S": newest}})
            return
    _update_usage(table, key_name, value, "REMOVE last_used_at", {})


def read_counts(
    viewer: str, kind: str, value: str, granularity: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    scope = scope_id(viewer, kind, value, granularity)
    low = bucket_start(format_time(start), granularity)
    high = bucket_start(format_time(end), granularity)
    items: list[dict[str, Any]] = []
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
    for page in pages:
        for item in page.get("Items", []):
            counts = {
                name[2:]: int(v["N"])
                for name, v in item.items()
                if name.startswith("c_") and int(v["N"]) != 0
            }
            if counts:
                items.append({"start": item["bucket_start"]["S"], "counts": counts})
    return items
