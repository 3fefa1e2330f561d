"""One page of a viewer's call records, newest first, and the cursor to the next.

The cursor is ``storage.pagination``'s, over the sort key below which the next page starts
and the listing it belongs to (the viewer and the filters, as a digest), so a cursor from
another account's or another filter's listing is refused.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import NamedTuple

from chalicelib.domain.clock import format_time
from chalicelib.domain.records import CallRecord
from chalicelib.storage.calls.items import record_of
from chalicelib.storage.calls.merge import Partition, newest_first
from chalicelib.storage.calls.plans import RecordFilter, plans, query_arguments
from chalicelib.storage.pagination import decode_cursor, encode_cursor, invalid_cursor

MAX_PAGES = 2  # items read for one page of records: at most this many pages' worth


class RecordPage(NamedTuple):
    records: list[CallRecord]
    next_cursor: str | None
    scanned: int


def query(
    viewer: str,
    filters: RecordFilter,
    low: datetime | None,
    high: datetime | None,
    limit: int,
    cursor: str | None,
    key_app: str | None = None,
) -> RecordPage:
    """A viewer's records, newest first (``plans`` says which partitions). ``key_app`` is
    the app of ``filters.access_key`` where known. A forged cursor is a ValidationFailed."""
    listing = _listing(viewer, filters)
    before = _start_below(cursor, listing)
    lowest = format_time(low) if low else "0"
    highest = (format_time(high) if high else "9") + "#\uffff"
    if before is not None:
        highest = min(highest, _just_below(before))
    if highest < lowest:
        return RecordPage([], None, 0)
    partitions = [
        Partition(query_arguments(viewer, lowest, highest, plan), highest)
        for plan in plans(viewer, filters, key_app)
    ]
    merged = newest_first(partitions, limit, MAX_PAGES)
    found = merged.items
    if len(found) == limit:
        next_sort = found[-1]["sk"]["S"] if merged.more else None
    else:
        next_sort = merged.floor
    next_cursor = encode_cursor(_cursor_key(listing, next_sort)) if next_sort is not None else None
    return RecordPage([record_of(item) for item in found], next_cursor, merged.scanned)


def _listing(viewer: str, filters: RecordFilter) -> str:
    """A digest of what a listing is: its cursors are good for it alone."""
    raw = json.dumps([viewer, *filters], ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def _cursor_key(listing: str, before: str) -> dict[str, dict[str, str]]:
    return {"listing": {"S": listing}, "sk": {"S": before}}


def _start_below(cursor: str | None, listing: str) -> str | None:
    """The sort key a cursor of this listing starts below; a 400 for anything else."""
    key = decode_cursor(cursor, {"listing", "sk"}, {"listing": listing})
    if key is None:
        return None
    before = key["sk"]["S"]
    if "#" not in before:  # not a sort key as items.sort_key writes them
        raise invalid_cursor()
    return before


def _just_below(sort_key: str) -> str:
    """The greatest bound under ``sort_key`` that the sort keys we write can meet (the key
    condition's BETWEEN is inclusive; the cursor's bound is not)."""
    below = ord(sort_key[-1]) - 1
    if below < 0:
        return sort_key[:-1]
    if 0xD800 <= below <= 0xDFFF:  # no surrogate: it could not be sent
        below = 0xD7FF
    return sort_key[:-1] + chr(below) + "\uffff"
