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
from chalicelib.domain.verdicts import SUCCESS
from chalicelib.storage import clients

GRANULARITIES = {"minute": 16, "hour": 13, "day": 10}  # prefix length of the ISO time


def bucket_start(time_text: str, granularity: str) -> str:
    prefix = time_text[: GRANULARITIES[granularity]]
    return {"minute": prefix + ":00Z", "hour": prefix + ":00:00Z", "day": prefix + "T00:00:00Z"}[
        granularity
    ]


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


def aggregate(stream_records: Iterable[dict[str, Any]]) -> None:
    counts: Counter[tuple[str, str, str]] = Counter()
    uses: dict[tuple[str, str, str], tuple[int, str]] = {}
    for stream_record in stream_records:
        change = stream_record.get("dynamodb", {})
        new = _plain(change.get("NewImage") or {})
        old = _plain(change.get("OldImage") or {})
        event = stream_record.get("eventName")
        if event == "INSERT":
            deltas = [(new, 1)]
        elif event == "MODIFY" and old.get("result") != new.get("result"):
            deltas = [(old, -1), (new, 1)]
        else:
            continue  # TTL removals keep their history in the counts
        for record, delta in deltas:
            if not record.get("time"):
                continue
            for scope, start in _scopes(record):
                counts[(scope, start, record.get("result", ""))] += delta
            # Key and app usage once per call: from the app owner's copy of the record.
            if record.get("result") == SUCCESS and record.get("viewer") == record.get(
                "caller_account_id"
            ):
                for table, key_name, value in (
                    ("keys", "access_key", record.get("access_key")),
                    ("apps", "app_id", record.get("app_id")),
                ):
                    if value:
                        count, latest = uses.get((table, key_name, value), (0, ""))
                        uses[(table, key_name, value)] = (
                            count + delta,
                            max(latest, record["time"]),
                        )
    _write_counts(counts)
    _write_uses(uses)


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
        try:
            clients.dynamodb().update_item(
                TableName=settings().table_name(table),
                Key={key_name: {"S": value}},
                UpdateExpression="ADD call_count :n SET last_used_at = :t",
                ConditionExpression=f"attribute_exists({key_name})",
                ExpressionAttributeValues={":n": {"N": str(count)}, ":t": {"S": latest}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise  # a deleted key or app simply has no counter to keep


def read_counts(
    viewer: str, kind: str, value: str, granularity: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    from chalicelib.domain.clock import format_time

    scope = scope_id(viewer, kind, value, granularity)
    low = bucket_start(format_time(start), granularity)
    high = bucket_start(format_time(end), granularity)
    items: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {
        "TableName": settings().table_name("usage"),
        "KeyConditionExpression": "#s = :s AND bucket_start BETWEEN :lo AND :hi",
        "ExpressionAttributeNames": {"#s": "scope"},
        "ExpressionAttributeValues": {":s": {"S": scope}, ":lo": {"S": low}, ":hi": {"S": high}},
    }
    while True:
        response = clients.dynamodb().query(**arguments)
        for item in response.get("Items", []):
            counts = {
                name[2:]: int(v["N"])
                for name, v in item.items()
                if name.startswith("c_") and int(v["N"]) != 0
            }
            if counts:
                items.append({"start": item["bucket_start"]["S"], "counts": counts})
        if "LastEvaluatedKey" not in response:
            return items
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
