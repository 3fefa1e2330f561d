"""Counters kept from the call-record stream, off the authorizer's hot path.

The authorizer writes only the nonce and the record. DynamoDB Streams hands each batch of
new or changed records to ``aggregate`` (the ``record_aggregator`` Lambda in AWS, a poller
thread locally), which folds them into per-bucket counts for the stats endpoint and into
``call_count`` / ``last_used_at`` of keys and apps. The items are ``storage/usage.py``'s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.domain.clock import format_time
from chalicelib.domain.verdicts import SUCCESS
from chalicelib.storage import usage as store

GRANULARITIES = {"minute": 16, "hour": 13, "day": 10}  # prefix length of the ISO time


def bucket_start(time_text: str, granularity: str) -> str:
    """The bucket's start in the one time format of the API (milliseconds included)."""
    prefix = time_text[: GRANULARITIES[granularity]]
    suffix = {"minute": ":00.000Z", "hour": ":00:00.000Z", "day": "T00:00:00.000Z"}
    return prefix + suffix[granularity]


def scope_id(viewer: str, kind: str, value: str, granularity: str) -> str:
    return f"{viewer}|{kind}|{value}|{granularity}"


def _scopes(record: dict[str, str]) -> list[tuple[str, str]]:
    """The buckets a record counts in: for each account that sees it, all its calls, its
    app's and its API's, at each granularity."""
    viewers = dict.fromkeys(
        v for v in (record.get("provider_account_id"), record.get("caller_account_id")) if v
    )
    scopes = []
    for granularity in GRANULARITIES:
        start = bucket_start(record.get("time", ""), granularity)
        for viewer in viewers:
            scopes.append((scope_id(viewer, "all", "-", granularity), start))
            for kind in ("app", "api"):
                value = record.get(f"{kind}_id")
                if value:
                    scopes.append((scope_id(viewer, kind, value, granularity), start))
    return scopes


def aggregate(stream_records: Iterable[dict[str, Any]]) -> None:
    counts: Counter[tuple[str, str, str]] = Counter()
    uses: dict[tuple[str, str], tuple[int, str]] = {}
    recheck: set[tuple[str, str]] = set()
    for before, after in store.record_changes(stream_records):
        if before is not None and before.get("result") == after.get("result"):
            continue
        for record, delta in ((before, -1), (after, 1)):
            if record is None:
                continue
            for scope, start in _scopes(record):
                counts[(scope, start, record.get("result", ""))] += delta
        was_success = before is not None and before.get("result") == SUCCESS
        is_success = after.get("result") == SUCCESS
        if was_success == is_success:
            continue
        for kind, value in (("key", after.get("access_key")), ("app", after.get("app_id"))):
            if not value:
                continue
            count, latest = uses.get((kind, value), (0, ""))
            if is_success:
                uses[(kind, value)] = (count + 1, max(latest, after["time"]))
            else:
                # Allowed by the authorizer, then refused by the body check: last_used_at
                # goes back to the newest call that really got through.
                uses[(kind, value)] = (count - 1, latest)
                recheck.add((kind, value))
    store.add_counts(counts)
    store.add_uses(uses)
    for kind, value in recheck:
        store.reset_last_used(kind, value)


def read_counts(
    viewer: str, kind: str, value: str, granularity: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    scope = scope_id(viewer, kind, value, granularity)
    low = bucket_start(format_time(start), granularity)
    high = bucket_start(format_time(end), granularity)
    return [
        {"start": bucket, "counts": counts}
        for bucket, counts in store.read_counts(scope, low, high)
        if counts
    ]
