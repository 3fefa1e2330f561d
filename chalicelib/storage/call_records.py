"""Call records in DynamoDB, bare botocore: writing them (a verified call's record is its
nonce; an allowed call's limit counters go with it) and reading them back for the console.

A record is one item, whoever sees it (``models.CallRecordModel``). What an allowed call
costs is what its write costs, so each index is sparse and a call writes only the ones its
queries need:

| index            | partition                                  | holds                        |
| ---------------- | ------------------------------------------ | ---------------------------- |
| by_viewer        | ``<account>#success``, ``#failure``, ``#replay`` | every record, first viewer |
| by_other_viewer  | the same                                   | the app's owner, when another |
| by_app           | app_id                                     | every record with an app      |
| by_api           | api_id                                     | every record but replays      |

A replay (NONCE_USED) is in no API's partition: with the refused put before it, it still
costs no more than the call it replays. An account's listing merges the partitions that can
hold what it asks for, newest first: by app (or an access key's app), that app's partition
alone; by API, the API's and the viewer's replays; otherwise the viewer's success, failure and
replay partitions that the ``result`` filter admits. The other filters, and on by_app / by_api
the viewer itself, are a FilterExpression; a page reads at most ``MAX_PAGES`` pages' worth of
items, so a filter that matches little (one code among the failures, an API's replays among
many) comes back short with a cursor. The cursor is the sort key below which the next page
starts, bound to the account and the filters.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import time
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.domain.clock import format_time
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.records import CallRecord, RecordRef
from chalicelib.domain.verdicts import FAILURE, NONCE_USED, SUCCESS
from chalicelib.storage import clients
from chalicelib.storage.pagination import can_be_a_key

Item = dict[str, Any]
logger = logging.getLogger("apiauth.calls")

CONFLICT_RETRIES = 4
# Caller-controlled text is cut to these lengths (and made valid UTF-8) before it is stored.
# The other fields are ours (ids, times, verdicts).
FIELD_LIMITS = {"path": 1024, "access_key": 64, "stage": 16, "method": 16, "source_ip": 64}


REPLAY = "replay"  # NONCE_USED: a partition of its own, in no app or API index


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


def moved_id(nonce: str, sort: str) -> str:
    """The id of a record kept when its nonce (``<access_key>#<nonce>``) was used again.
    A nonce may hold any character, ``#`` too, so only the prefix keeps it apart from
    every nonce's id."""
    return f"m#{nonce}#{sort}"


class Counter(NamedTuple):
    """One window's counter of an authorization's limit, raised by an allowed call."""

    key: str
    limit: int
    expires_at: int  # epoch seconds: TTL, after the window
    window: str


class Nonce(NamedTuple):
    key: str  # <access_key>#<nonce>
    until: int  # epoch seconds: used until then


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
    put: Item = {"TableName": _table(), "Item": item}
    if nonce is not None:
        put["ConditionExpression"] = "attribute_not_exists(id)"
        put["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if not counters:
        try:
            clients.dynamodb().put_item(**put)
            return ""
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException" or nonce is None:
                raise
            old = error.response.get("Item") or {}
    else:
        refused, old = _transact([{"Put": put}], ["nonce" if nonce else ""], counters)
        if refused != "nonce" or nonce is None:
            return refused
    if not old:  # a racing write (TransactionConflict carries no item), or dynalite
        key = {"id": item["id"]}
        old = clients.dynamodb().get_item(TableName=_table(), Key=key, ConsistentRead=True)
        old = old.get("Item") or {}
        if not old:  # gone since (TTL): the nonce is as good as unused; a new call decides
            return "nonce"
    until, sort = _nonce_state(old)
    if until is None or sort is None or until >= time.time():
        # Still counting, or a state this code did not write (an older version's copy, an
        # edited item): the nonce counts as used. Never taken over blind, never a raise.
        return "nonce"
    # The nonce was used before, longer ago than it counts: a new call. Its old record is
    # kept under an id no nonce can produce (``m#``: every nonce's id starts ``n#``), still
    # listable; ``moved`` tells the aggregator it is counted.
    moved = {**old, "id": {"S": moved_id(nonce.key, sort)}, "moved": {"BOOL": True}}
    moved.pop("nonce_until", None)
    take_over = {
        "TableName": _table(),
        "Item": item,
        "ConditionExpression": "nonce_until = :until",
        "ExpressionAttributeValues": {":until": old["nonce_until"]},
    }
    keep = {"TableName": _table(), "Item": moved, "ConditionExpression": "attribute_not_exists(id)"}
    # Either refused: a concurrent call took the nonce over first.
    refused, _ = _transact([{"Put": take_over}, {"Put": keep}], ["nonce", "nonce"], counters)
    return refused


def _transact(
    writes: list[Item], conditions: list[str], counters: Sequence[Counter]
) -> tuple[str, Item]:
    """Run ``writes`` and the counters' updates as one transaction: "" when written, else
    the condition refused (the nonce first: "nonce unused" comes before the limits) with the
    old item the first write found."""
    transaction = [*writes, *({"Update": _counter_update(c)} for c in counters)]
    named = [*conditions, *(c.window for c in counters)]
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            clients.dynamodb().transact_write_items(TransactItems=transaction)
            return "", {}
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            codes = [reason.get("Code") for reason in reasons]
            pairs = list(zip(named, codes, strict=False))
            failed = [name for name, code in pairs if code == "ConditionalCheckFailed"]
            # A concurrent request with the same nonce: a replay racing the original.
            racing = [name for name, code in pairs if code == "TransactionConflict"]
            if failed or "nonce" in racing:
                old = (reasons[0].get("Item") if reasons else None) or {}
                return ("nonce" if "nonce" in failed + racing else failed[0]), old
            if not racing or attempt == CONFLICT_RETRIES:
                raise
            # Other calls raising the same counters at once: nothing was written, try again.
            time.sleep(random.uniform(0.005, 0.02) * 2**attempt)
    raise AssertionError("unreachable")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _nonce_state(old: Item) -> tuple[float | None, str | None]:
    """Until when the item at a nonce id holds its nonce, and its sort key, each None where
    the item does not say so as this module writes it."""
    until = old.get("nonce_until")
    sort = old.get("sk")
    number = until.get("N") if isinstance(until, dict) else None
    text = sort.get("S") if isinstance(sort, dict) else None
    try:
        value = float(number) if isinstance(number, str) else None
    except ValueError:
        value = None
    return value, (text if isinstance(text, str) and text else None)


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


def mark_failed(ref: RecordRef, result: str) -> None:
    """Turn an allowed call's record into a denial (the body check, after the authorizer):
    it moves to its viewers' failures."""
    values = {":r": {"S": result}}
    assignments = ["#r = :r"]
    for name, viewer in zip(("viewer", "other_viewer"), ref.viewers, strict=False):
        values[f":{name}"] = {"S": f"{viewer}#{FAILURE}"}
        assignments.append(f"{name} = :{name}")
    clients.dynamodb().update_item(
        TableName=_table(),
        Key={"id": {"S": ref.record_id}},
        UpdateExpression=f"SET {', '.join(assignments)}",
        ConditionExpression="attribute_exists(id)",
        ExpressionAttributeNames={"#r": "result"},
        ExpressionAttributeValues=values,
    )


def _table() -> str:
    return settings().table_name("calls")


def _clean(value: str, limit: int) -> str:
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
        "method": {"S": _clean(r.method, FIELD_LIMITS["method"])},
        "path": {"S": _clean(r.path, FIELD_LIMITS["path"])},
        "result": {"S": r.result},
        "latency_ms": {"N": f"{r.latency_ms:.3f}"},
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
    for name, value in (
        ("source_ip", r.source_ip),
        ("stage", r.stage),
        ("access_key", r.access_key),
    ):
        if value:
            item[name] = {"S": _clean(value, FIELD_LIMITS[name])}
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


def _log_unattributed(record: CallRecord) -> None:
    fields: dict[str, Any] = {}
    for name, value in zip(record._fields, record, strict=True):
        if value:
            limit = FIELD_LIMITS.get(name)
            fields[name] = _clean(value, limit) if limit and isinstance(value, str) else value
    logger.info(json.dumps({"event": "call", "attributed": False, **fields}, ensure_ascii=False))


# -- reading ----------------------------------------------------------------------------------

MAX_PAGES = 2  # items read for one page of records: at most this many pages' worth
MAX_QUERIES = 12  # DynamoDB requests for one page, whatever the merge


class RecordFilter(NamedTuple):
    app_id: str | None = None
    api_id: str | None = None
    access_key: str | None = None
    result: str | None = None  # "success", "failure" or a verdict code


class RecordPage(NamedTuple):
    records: list[CallRecord]
    next_cursor: str | None
    scanned: int


class _Partition:
    """One index partition's records, newest first, read a few at a time."""

    def __init__(self, arguments: dict[str, Any], highest: str) -> None:
        self.arguments = arguments
        self.buffer: deque[Item] = deque()
        self.start_key: Item | None = None
        self.done = False
        self.reached = highest  # the sort key read down to, while not done

    def read(self, size: int) -> int:
        request = {**self.arguments, "Limit": size}
        if self.start_key:
            request["ExclusiveStartKey"] = self.start_key
        response = clients.dynamodb().query(**request)
        self.buffer.extend(response.get("Items", []))
        self.start_key = response.get("LastEvaluatedKey")
        self.done = not self.start_key
        if self.start_key:
            self.reached = self.start_key["sk"]["S"]
        return int(response.get("ScannedCount", 0))

    @property
    def head(self) -> str:
        return str(self.buffer[0]["sk"]["S"])


def query(
    viewer: str,
    filters: RecordFilter,
    low: datetime | None,
    high: datetime | None,
    limit: int,
    cursor: str | None,
    key_app: str | None = None,
) -> RecordPage:
    """A viewer's records, newest first (see the module's tables for which partitions).
    ``key_app`` is the app of ``filters.access_key`` where known. A forged cursor is a
    ValidationFailed."""
    listing = [viewer, *filters]
    before = _decode_cursor(cursor, listing)
    lowest = format_time(low) if low else "0"
    highest = (format_time(high) if high else "9") + "#\uffff"
    if before is not None:
        highest = min(highest, _just_below(before))
    if highest < lowest:
        return RecordPage([], None, 0)
    partitions = [
        _Partition(_arguments(viewer, lowest, highest, *plan), highest)
        for plan in _plans(viewer, filters, key_app)
    ]
    # Each partition reads its share first; then the budget goes where the newest items are.
    share = -(-limit // max(1, len(partitions)))
    scanned = sum(partition.read(share) for partition in partitions)
    budget, queries = MAX_PAGES * limit - scanned, len(partitions)
    found: list[Item] = []
    floor = None
    while len(found) < limit:
        for partition in partitions:
            while not partition.buffer and not partition.done and budget > 0:
                if queries >= MAX_QUERIES:
                    budget = 0
                    break
                active = sum(1 for p in partitions if not p.done)
                size = max(1, min(budget, -(-(limit - len(found)) // active)))
                read = partition.read(size)
                budget, queries, scanned = budget - max(read, 1), queries + 1, scanned + read
        # Below the point where a partition stopped reading, it may hold newer items.
        floor = max((p.reached for p in partitions if not p.buffer and not p.done), default=None)
        ready = [p for p in partitions if p.buffer and (floor is None or p.head >= floor)]
        if not ready:
            break
        found.append(max(ready, key=lambda p: p.head).buffer.popleft())
    more = any(p.buffer or not p.done for p in partitions)
    next_cursor = (found[-1]["sk"]["S"] if more else None) if len(found) == limit else floor
    cursor_out = _encode_cursor(listing, next_cursor)
    return RecordPage([record_of(item) for item in found], cursor_out, scanned)


def _just_below(sort_key: str) -> str:
    """The greatest bound under ``sort_key`` that the sort keys we write can meet (the key
    condition's BETWEEN is inclusive; the cursor's bound is not)."""
    below = ord(sort_key[-1]) - 1
    if below < 0:
        return sort_key[:-1]
    if 0xD800 <= below <= 0xDFFF:  # no surrogate: it could not be sent
        below = 0xD7FF
    return sort_key[:-1] + chr(below) + "\uffff"


# A plan: index, partition attribute, its value, equality filters, and whether the viewer
# must be checked (a partition by app or API holds other accounts' calls too).
Plan = tuple[str, str, str, dict[str, str], bool]


def _plans(viewer: str, filters: RecordFilter, key_app: str | None) -> list[Plan]:
    result = filters.result
    app = filters.app_id or key_app
    if filters.app_id and key_app and filters.app_id != key_app:
        return []  # the key is another app's: none of this app's calls used it
    checks = {
        "app_id": filters.app_id or "",
        "api_id": filters.api_id or "",
        "access_key": filters.access_key or "",
        "result": result if result not in (None, SUCCESS, FAILURE) else "",
        "outcome": result if result in (SUCCESS, FAILURE) else "",
    }
    if app:
        # An app's partition holds all its calls, other accounts' APIs' too: the viewer is
        # a check there.
        return [("by_app", "idx_app", app, checks, True)]
    partitions = {
        None: (SUCCESS, FAILURE, REPLAY),
        SUCCESS: (SUCCESS,),
        FAILURE: (FAILURE, REPLAY),
        NONCE_USED: (REPLAY,),
    }.get(result, (FAILURE,))
    plans: list[Plan] = []
    if filters.api_id and partitions != (REPLAY,):
        # An API's partition holds all its calls but replays, which come from the viewer's.
        plans.append(("by_api", "idx_api", filters.api_id, checks, True))
        partitions = tuple(p for p in partitions if p == REPLAY)
    for partition in partitions:
        for index, attribute in VIEWER_INDEXES:
            plans.append((index, attribute, f"{viewer}#{partition}", checks, False))
    return plans


VIEWER_INDEXES = (("by_viewer", "viewer"), ("by_other_viewer", "other_viewer"))


def _arguments(
    viewer: str,
    lowest: str,
    highest: str,
    index: str,
    attribute: str,
    value: str,
    checks: dict[str, str],
    check_viewer: bool,
) -> dict[str, Any]:
    names = {"#p": attribute}
    values: dict[str, Any] = {
        ":p": {"S": value},
        ":lo": {"S": lowest},
        ":hi": {"S": highest},
    }
    conditions = []
    for number, (name, wanted) in enumerate(checks.items()):
        if not wanted:
            continue
        if name == "outcome":  # success or failure, from the result
            names["#result"] = "result"
            values[":success"] = {"S": SUCCESS}
            conditions.append("#result = :success" if wanted == SUCCESS else "#result <> :success")
            continue
        names[f"#f{number}"] = name
        values[f":f{number}"] = {"S": wanted}
        conditions.append(f"#f{number} = :f{number}")
    if check_viewer:
        values[":v"] = {"S": viewer}
        conditions.append("(provider_account_id = :v OR caller_account_id = :v)")
    arguments: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": index,
        "KeyConditionExpression": "#p = :p AND sk BETWEEN :lo AND :hi",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    if conditions:
        arguments["FilterExpression"] = " AND ".join(conditions)
    return arguments


def _encode_cursor(listing: list[str | None], before: str | None) -> str | None:
    """Where the next page starts (below ``before``), for this listing only: the viewer
    and the filters."""
    if before is None:
        return None
    raw = json.dumps([*listing, before], ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str | None, listing: list[str | None]) -> str | None:
    if not cursor:
        return None
    invalid = ValidationFailed(
        "is not a cursor from this listing; pass next_cursor from the previous page", "cursor"
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        *owner, before = json.loads(raw.decode("utf-8"))
    except (ValueError, TypeError, UnicodeError):
        raise invalid from None
    # Another listing's cursor, or anything but a sort key as this module writes them.
    if owner != listing or not isinstance(before, str) or "#" not in before:
        raise invalid
    if not can_be_a_key(before):
        raise invalid
    return before


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
