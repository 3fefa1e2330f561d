"""The item codec of the calls table: a record's item with the index attributes its outcome
needs, its ids and sort key, and the record an item holds."""

from __future__ import annotations

import time
from typing import NamedTuple

from chalicelib.config import settings
from chalicelib.domain.records import CallRecord
from chalicelib.domain.verdicts import FAILURE, NONCE_USED, SUCCESS
from chalicelib.storage.items import NUMBER, TEXT, Item, Kind, Table

# Caller-controlled text is cut to these lengths (and made valid UTF-8) before it is stored.
# The other fields are ours (ids, times, verdicts).
FIELD_LIMITS = {"path": 1024, "access_key": 64, "stage": 16, "method": 16, "source_ip": 64}

REPLAY = "replay"  # NONCE_USED: a partition of its own, in no app or API index


class Nonce(NamedTuple):
    key: str  # <access_key>#<nonce>
    until: int  # epoch seconds: used until then


def table() -> str:
    return settings().table_name("calls")


def partition_of(result: str) -> str:
    """Which of a viewer's partitions a record with ``result`` is in."""
    if result == SUCCESS:
        return SUCCESS
    return REPLAY if result == NONCE_USED else FAILURE


def sort_key(record: CallRecord) -> str:
    return f"{record.time}#{record.request_id}"


def record_id(record: CallRecord, nonce: str = "") -> str:
    """A verified call's record is keyed by its nonce (``<access_key>#<nonce>``)."""
    return f"n#{nonce}" if nonce else f"r#{record.request_id}"


def keyed_by_nonce(record_id: str) -> bool:
    """Whether ``record_id`` is a nonce's: its record is not found by its request id's key."""
    return record_id.startswith("n#")


def moved_id(nonce: str, sort: str) -> str:
    """The id of a record kept when its nonce (``<access_key>#<nonce>``) was used again.
    A nonce may hold any character, ``#`` too, so only the prefix keeps it apart from
    every nonce's id."""
    return f"m#{nonce}#{sort}"


def clean(value: str, limit: int) -> str:
    if value.isascii() and len(value) <= limit:
        return value
    return value[:limit].encode("utf-8", "replace").decode("utf-8")


def record_item(record: CallRecord, nonce: Nonce | None = None) -> Item | None:
    """The record's item with the index attributes its outcome needs; None without a viewer."""
    r = record
    viewers = r.viewers
    if not viewers:
        return None
    outcome = partition_of(r.result)
    item: Item = {
        "id": {"S": record_id(r, nonce.key if nonce else "")},
        "sk": {"S": sort_key(r)},
        "viewer": {"S": f"{viewers[0]}#{outcome}"},
        "request_id": {"S": r.request_id},
        "time": {"S": r.time},
        "method": {"S": clean(r.method, FIELD_LIMITS["method"])},
        "path": {"S": clean(r.path, FIELD_LIMITS["path"])},
        "result": {"S": r.result},
        "latency_ms": MILLISECONDS.write(r.latency_ms),
        "expires_at": {"N": str(int(time.time()) + settings().record_retention_days * 86400)},
    }
    if len(viewers) > 1:
        item["other_viewer"] = {"S": f"{viewers[1]}#{outcome}"}
    if r.app_id:
        item["idx_app"] = {"S": r.app_id}
    if r.api_id and outcome != REPLAY:
        item["idx_api"] = {"S": r.api_id}
    if nonce is not None:
        item["nonce_until"] = {"N": str(nonce.until)}
        if outcome != SUCCESS:
            # A refusal keyed by its nonce: found by its request id through the keys-only
            # index (on an HTTP API its caller learns the verdict only there). An allowed
            # call pays no such entry: it is looked for among its viewer's successes.
            item["idx_request"] = {"S": r.request_id}
    for name, value in (
        ("source_ip", r.source_ip),
        ("stage", r.stage),
        ("access_key", r.access_key),
    ):
        if value:
            item[name] = {"S": clean(value, FIELD_LIMITS[name])}
    for name, value in (
        ("auth_method", r.auth_method),
        ("app_id", r.app_id),
        ("api_id", r.api_id),
        ("caller_account_id", r.caller_account_id),
        ("provider_account_id", r.provider_account_id),
        ("secret", r.secret),
    ):
        if value:
            item[name] = {"S": value}
    if r.retry_after:
        item["retry_after"] = {"N": str(r.retry_after)}
    return item


def record_of(item: Item) -> CallRecord:
    """The record an item holds (the viewer's copy)."""
    return CallRecord(**RECORDS.read(item))


# A record's latency, stored to the microsecond.
MILLISECONDS = Kind(
    "N", True, lambda value: float((value or {}).get("N", 0)), lambda ms: {"N": f"{ms:.3f}"}
)
# What a record's item holds, read back; an attribute a call did not have reads as "" or 0.
RECORDS = Table(
    {
        "request_id": TEXT,
        "time": TEXT,
        "method": TEXT,
        "path": TEXT,
        "source_ip": TEXT,
        "stage": TEXT,
        "result": TEXT,
        "latency_ms": MILLISECONDS,
        "auth_method": TEXT,
        "access_key": TEXT,
        "app_id": TEXT,
        "api_id": TEXT,
        "caller_account_id": TEXT,
        "provider_account_id": TEXT,
        "secret": TEXT,
        "retry_after": NUMBER,
    }
)
