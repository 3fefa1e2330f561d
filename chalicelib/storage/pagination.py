"""Opaque cursors over DynamoDB's LastEvaluatedKey, checked against the caller's partition."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from chalicelib.domain.errors import ValidationFailed
from chalicelib.storage import clients

MAX_KEY_BYTES = 1024  # a sort key's limit; partition keys allow 2048
Key = dict[str, dict[str, str]]


def encode_cursor(last_evaluated_key: Key | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def can_be_a_key(text: str) -> bool:
    """Whether DynamoDB takes ``text`` as a key value. A forged cursor must not reach it with
    one it refuses (too long, empty, or a lone surrogate that cannot even be sent): that
    would be a 500, not a 400."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    return 0 < size <= MAX_KEY_BYTES


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        "is not a cursor from this listing; pass next_cursor from the previous page", "cursor"
    )


def decode_cursor(cursor: str | None, attributes: set[str], fixed: dict[str, str]) -> Key | None:
    """The start key a cursor stands for; a 400 unless it belongs to this very query.

    ``fixed`` holds the attributes whose value the query pins (the account's partition), so
    a cursor forged or taken from another account's listing cannot move the query there.
    """
    if cursor is None or cursor == "":
        return None
    invalid = invalid_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise invalid from None
    if not isinstance(key, dict) or set(key) != attributes:
        raise invalid
    for name, value in key.items():
        if not isinstance(value, dict) or set(value) != {"S"} or not isinstance(value["S"], str):
            raise invalid
        if not can_be_a_key(value["S"]):
            raise invalid
        if name in fixed and value["S"] != fixed[name]:
            raise invalid
    return key


class QueryPage(NamedTuple):
    items: list[dict[str, Any]]
    last_key: Key | None  # where the next page starts, None at the end
    scanned: int  # items DynamoDB read, filtered out or not


def query_page(
    arguments: dict[str, Any],
    start_key: Key | None,
    limit: int,
    max_reads: int,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> QueryPage:
    """One page of up to ``limit`` items of a (filtered) Query, reading at most ``max_reads``
    DynamoDB pages: a filter that matches little comes back short, with where to go on,
    instead of reading the whole partition in one request.

    ``keep`` filters what no FilterExpression can say (a case-insensitive match); DynamoDB's
    ``Limit`` counts items read, so the page still ends where its ``last_key`` says."""
    items: list[dict[str, Any]] = []
    scanned = 0
    last_key = start_key
    for _ in range(max_reads):
        request = {**arguments, "Limit": limit - len(items)}
        if last_key:
            request["ExclusiveStartKey"] = last_key
        response = clients.dynamodb().query(**request)
        scanned += int(response.get("ScannedCount", 0))
        found = response.get("Items", [])
        items.extend(item for item in found if keep is None or keep(item))
        last_key = response.get("LastEvaluatedKey")
        if not last_key or len(items) >= limit:
            break
    return QueryPage(items, last_key, scanned)
