"""Listing records merges several index partitions (``storage/calls/listing.py``): every
filter, page size and mix of viewers must give exactly the records a brute-force filter
gives, newest first, each once, however the pages fall.

Runs over in-process moto with the items the authorizer really writes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws

from chalicelib.config import settings
from chalicelib.domain.clock import format_time
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.records import CallRecord, RecordRef
from chalicelib.storage import clients
from chalicelib.storage.calls import items, listing, plans, writes
from chalicelib.storage.pagination import decode_cursor, encode_cursor

ACCOUNTS = ("acc-a", "acc-b", "acc-c")
APPS = {"app-a1": "acc-a", "app-a2": "acc-a", "app-b1": "acc-b"}
KEYS = {"key-a1": "app-a1", "key-a2": "app-a2", "key-b1": "app-b1"}
APIS = {"api-a1": "acc-a", "api-a2": "acc-a", "api-c1": "acc-c"}
RESULTS = ("success", "success", "success", "NONCE_USED", "INVALID_SIGNATURE", "NOT_AUTHORIZED")
START = datetime(2026, 11, 22, tzinfo=UTC)


def _records(seed: int, count: int) -> list[CallRecord]:
    rng = random.Random(seed)
    records = []
    for index in range(count):
        key = rng.choice([*KEYS, "unknown0"])
        app = KEYS.get(key, "")
        api = rng.choice([*APIS, ""])
        result = rng.choice(RESULTS)
        if not app and not api:
            api = "api-a1"
        records.append(
            CallRecord(
                request_id=f"req-{index:04d}",
                # Some share a millisecond: the request id breaks the tie.
                time=format_time(START + timedelta(milliseconds=rng.randrange(count // 2))),
                method="GET",
                path="/p",
                source_ip="198.51.100.7",
                stage="RELEASE",
                result=result,
                access_key=key,
                app_id=app,
                api_id=api,
                caller_account_id=APPS.get(app, ""),
                provider_account_id=APIS.get(api, ""),
            )
        )
    return records


@pytest.fixture(scope="module")
def stored() -> Iterator[list[CallRecord]]:
    from chalicelib.storage.models import CallRecordModel, KeyModel

    with mock_aws():
        CallRecordModel.create_table(wait=False)
        KeyModel.create_table(wait=False)
        records = _records(seed=7, count=160)
        for record in records:
            item = items.record_item(record)
            assert item is not None
            clients.dynamodb().put_item(TableName=settings().table_name("calls"), Item=item)
        yield records


def _expected(
    records: list[CallRecord],
    viewer: str,
    filters: plans.RecordFilter,
    low: datetime | None = None,
    high: datetime | None = None,
) -> list[str]:
    def wanted(record: CallRecord) -> bool:
        result = filters.result
        return (
            viewer in record.viewers
            and (not filters.app_id or record.app_id == filters.app_id)
            and (not filters.api_id or record.api_id == filters.api_id)
            and (not filters.access_key or record.access_key == filters.access_key)
            and (
                not result
                or record.result == result
                or (result == "failure" and record.result != "success")
            )
            and (low is None or record.time >= format_time(low))
            and (high is None or record.time <= format_time(high))
        )

    chosen = sorted(
        (r for r in records if wanted(r)), key=lambda r: f"{r.time}#{r.request_id}", reverse=True
    )
    return [r.request_id for r in chosen]


def _walk(
    viewer: str,
    filters: plans.RecordFilter,
    limit: int,
    low: datetime | None = None,
    high: datetime | None = None,
) -> tuple[list[str], int]:
    key_app = KEYS.get(filters.access_key or "")
    found: list[str] = []
    cursor = None
    for pages in range(1, 400):
        page = listing.query(viewer, filters, low, high, limit, cursor, key_app=key_app)
        assert len(page.records) <= limit
        assert page.scanned <= listing.MAX_PAGES * limit + 2 * 4  # first reads: 1 each
        found.extend(record.request_id for record in page.records)
        cursor = page.next_cursor
        if cursor is None:
            return found, pages
    raise AssertionError("the cursor never ended")


FILTERS = [
    plans.RecordFilter(),
    plans.RecordFilter(result="success"),
    plans.RecordFilter(result="failure"),
    plans.RecordFilter(result="NONCE_USED"),
    plans.RecordFilter(app_id="app-a1"),
    plans.RecordFilter(app_id="app-b1"),
    plans.RecordFilter(api_id="api-c1"),
    plans.RecordFilter(api_id="api-a2", result="success"),
    plans.RecordFilter(access_key="key-a2"),
    plans.RecordFilter(access_key="unknown0"),
    plans.RecordFilter(app_id="app-a1", access_key="key-b1"),
    plans.RecordFilter(app_id="app-a2", api_id="api-a1", result="failure"),
    plans.RecordFilter(app_id="app-a1", result="NONCE_USED"),
    plans.RecordFilter(api_id="api-a1", result="INVALID_SIGNATURE"),
    plans.RecordFilter(access_key="key-a1", result="success"),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: repr(tuple(v for v in f if v)))
@pytest.mark.parametrize("viewer", ACCOUNTS)
@pytest.mark.parametrize("limit", [4, 50])
def test_every_listing_walks_exactly_the_matching_records_newest_first(
    stored: list[CallRecord], viewer: str, filters: plans.RecordFilter, limit: int
) -> None:
    found, _ = _walk(viewer, filters, limit)
    assert found == _expected(stored, viewer, filters)


@pytest.mark.parametrize("filters", FILTERS[:4], ids=lambda f: repr(tuple(v for v in f if v)))
def test_pages_of_one_record_walk_them_all_too(
    stored: list[CallRecord], filters: plans.RecordFilter
) -> None:
    found, _ = _walk("acc-a", filters, 1)
    assert found == _expected(stored, "acc-a", filters)


def test_a_time_range_bounds_every_partition(stored: list[CallRecord]) -> None:
    low, high = START + timedelta(milliseconds=20), START + timedelta(milliseconds=50)
    for filters in FILTERS:
        found, _ = _walk("acc-a", filters, 5, low, high)
        assert found == _expected(stored, "acc-a", filters, low, high)


def test_a_page_of_the_common_listing_is_full_when_the_records_are_there(
    stored: list[CallRecord],
) -> None:
    page = listing.query("acc-a", plans.RecordFilter(), None, None, 50, None)
    assert len(page.records) == 50 and page.next_cursor


def moved_to(cursor: str, sort_key: str) -> str:
    """The listing's own cursor, forged to start below ``sort_key``."""
    key = decode_cursor(cursor, {"listing", "sk"}, {})
    assert key is not None
    forged = encode_cursor({**key, "sk": {"S": sort_key}})
    assert forged
    return forged


def test_another_viewers_cursor_or_a_forged_one_is_refused(stored: list[CallRecord]) -> None:
    page = listing.query("acc-a", plans.RecordFilter(), None, None, 3, None)
    assert page.next_cursor
    for viewer, cursor in (
        ("acc-b", page.next_cursor),
        ("acc-a", "bm90IGpzb24"),
        ("acc-a", moved_to(page.next_cursor, "no hash")),  # not a sort key
        ("acc-a", "!!"),
    ):
        with pytest.raises(ValidationFailed):
            listing.query(viewer, plans.RecordFilter(), None, None, 3, cursor)
    with pytest.raises(ValidationFailed):  # another listing's
        filters = plans.RecordFilter(result="success")
        listing.query("acc-a", filters, None, None, 3, page.next_cursor)


@pytest.mark.parametrize("nonce", ["", "key-b1#n-late"])
def test_a_record_marked_failed_moves_to_its_viewers_failures(
    stored: list[CallRecord], nonce: str
) -> None:
    from chalicelib.storage.calls.lookup import by_request_id

    record = CallRecord(
        "req-late", format_time(START + timedelta(days=1)), "POST", "/p", "", "RELEASE",
        "success", access_key="key-b1", app_id="app-b1", api_id="api-c1",
        caller_account_id="acc-b", provider_account_id="acc-c",
    )  # fmt: skip
    item = items.record_item(record, items.Nonce(nonce, 2**40) if nonce else None)
    assert item is not None
    clients.dynamodb().put_item(TableName=settings().table_name("calls"), Item=item)
    ref = RecordRef(record.viewers, items.record_id(record, nonce))
    if nonce:  # allowed: not found by its request id until it is a refusal
        assert by_request_id("acc-b", "req-late") == ([], 0)
    writes.mark_failed(ref, "INVALID_CONTENT_MD5")
    try:
        for viewer in ("acc-b", "acc-c"):
            failures = plans.RecordFilter(result="INVALID_CONTENT_MD5")
            [found] = listing.query(viewer, failures, None, None, 5, None).records
            assert found.request_id == "req-late"
            by_app = plans.RecordFilter(app_id="app-b1", result="success")
            listed = listing.query(viewer, by_app, None, None, 50, None).records
            assert "req-late" not in [r.request_id for r in listed]
            [looked_up], _ = by_request_id(viewer, "req-late")
            assert looked_up.result == "INVALID_CONTENT_MD5"
    finally:
        clients.dynamodb().delete_item(
            TableName=settings().table_name("calls"), Key={"id": item["id"]}
        )


@pytest.mark.parametrize("last", ["\x00", "\ue000", "\ud800", "\uffff", "0"])
def test_a_forged_cursor_of_ones_own_listing_is_a_page_or_a_400_never_an_error(
    stored: list[CallRecord], last: str
) -> None:
    first = listing.query("acc-a", plans.RecordFilter(), None, None, 3, None).next_cursor
    assert first
    cursor = moved_to(first, "2026-11-22T00:00:00.010Z#" + last)
    try:
        page = listing.query("acc-a", plans.RecordFilter(), None, None, 5, cursor)
    except ValidationFailed:
        assert last == "\ud800"
    else:
        assert all(r.time <= "2026-11-22T00:00:00.010Z" for r in page.records)
