"""What the call-record stream adds up: per-bucket counts and the keys' and apps' usage.

``aggregate`` folds and writes in one pass, so it runs here over in-process moto; its stream
records are built from the items the authorizer really writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.config import settings
from chalicelib.domain.records import CallRecord
from chalicelib.services.usage import aggregate, bucket_start, read_counts, scope_id
from chalicelib.storage import clients
from chalicelib.storage.calls import items

TABLES = {
    "calls": ("id",),
    "usage": ("scope", "bucket_start"),
    "keys": ("access_key",),
    "apps": ("app_id",),
}

PROVIDER = "acc-provider"
CALLER = "acc-caller"
KEY = "AKEY12345"
APP = "app-1"
API = "api-1"
START = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
END = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("granularity", "start"),
    [
        ("minute", "2026-11-22T05:07:00.000Z"),
        ("hour", "2026-11-22T05:00:00.000Z"),
        ("day", "2026-11-22T00:00:00.000Z"),
    ],
)
def test_buckets_start_in_the_api_time_format(granularity: str, start: str) -> None:
    assert bucket_start("2026-11-22T05:07:41.123Z", granularity) == start


def test_a_scope_names_viewer_kind_value_and_granularity() -> None:
    assert scope_id(CALLER, "app", APP, "hour") == "acc-caller|app|app-1|hour"


@pytest.fixture(scope="module")
def tables() -> Iterator[None]:
    """Only the four tables aggregation touches, created once (all twelve cost ~0.2 s a test)."""
    from chalicelib.storage.models import AppModel, CallRecordModel, KeyModel, UsageModel

    with mock_aws():
        for model in (CallRecordModel, UsageModel, KeyModel, AppModel):
            model.create_table(wait=False)
        yield


@pytest.fixture
def empty_tables(tables: None) -> None:
    for table, key_names in TABLES.items():
        name = settings().table_name(table)
        for item in clients.dynamodb().scan(TableName=name)["Items"]:
            key = {key_name: item[key_name] for key_name in key_names}
            clients.dynamodb().delete_item(TableName=name, Key=key)


aggregation = pytest.mark.usefixtures("empty_tables")


def call(time: str, result: str = "success", **fields: str) -> CallRecord:
    values: dict[str, Any] = {
        "access_key": KEY,
        "app_id": APP,
        "api_id": API,
        "caller_account_id": CALLER,
        "provider_account_id": PROVIDER,
        **fields,
    }
    return CallRecord(f"req-{time}", time, "GET", "/p", "198.51.100.7", "RELEASE", result, **values)


def stored(record: CallRecord) -> list[dict[str, Any]]:
    """The record's item as the authorizer stores it, in the table too."""
    item = items.record_item(record)
    assert item is not None
    clients.dynamodb().put_item(TableName=settings().table_name("calls"), Item=item)
    return [item]


def inserted(record: CallRecord) -> list[dict[str, Any]]:
    return [{"eventName": "INSERT", "dynamodb": {"NewImage": item}} for item in stored(record)]


def modified(record: CallRecord, result: str) -> list[dict[str, Any]]:
    """The body check overwriting the result (``writes.mark_failed``)."""
    before = [items.record_item(record)]
    after = stored(record._replace(result=result))
    return [
        {"eventName": "MODIFY", "dynamodb": {"OldImage": old, "NewImage": new}}
        for old, new in zip(before, after, strict=True)
    ]


def counts(viewer: str, kind: str = "all", value: str = "-", granularity: str = "day") -> Any:
    return read_counts(viewer, kind, value, granularity, START, END)


def put_key_and_app() -> None:
    for table, key_name, value in (("keys", "access_key", KEY), ("apps", "app_id", APP)):
        clients.dynamodb().put_item(
            TableName=settings().table_name(table),
            Item={key_name: {"S": value}, "account_id": {"S": CALLER}, "app_id": {"S": APP}},
        )


def usage(table: str, key_name: str, value: str) -> dict[str, Any]:
    item = clients.dynamodb().get_item(
        TableName=settings().table_name(table), Key={key_name: {"S": value}}
    )
    return {
        "call_count": int(item["Item"]["call_count"]["N"]) if "call_count" in item["Item"] else 0,
        "last_used_at": item["Item"].get("last_used_at", {}).get("S"),
    }


def key_usage() -> dict[str, Any]:
    return usage("keys", "access_key", KEY)


def app_usage() -> dict[str, Any]:
    return usage("apps", "app_id", APP)


# --- Counts per scope and bucket ---


@aggregation
def test_a_call_counts_for_both_viewers_in_every_scope() -> None:
    aggregate(inserted(call("2026-11-22T05:07:41.123Z")))
    for viewer in (PROVIDER, CALLER):
        for kind, value in (("all", "-"), ("app", APP), ("api", API)):
            for granularity, start in (
                ("minute", "2026-11-22T05:07:00.000Z"),
                ("hour", "2026-11-22T05:00:00.000Z"),
                ("day", "2026-11-22T00:00:00.000Z"),
            ):
                assert counts(viewer, kind, value, granularity) == [
                    {"start": start, "counts": {"success": 1}}
                ]


@aggregation
def test_calls_fall_into_their_buckets_by_result() -> None:
    aggregate(
        inserted(call("2026-11-22T05:07:01.000Z"))
        + inserted(call("2026-11-22T05:07:59.999Z", "INVALID_SIGNATURE"))
        + inserted(call("2026-11-22T05:08:00.000Z"))
    )
    assert counts(PROVIDER, granularity="minute") == [
        {"start": "2026-11-22T05:07:00.000Z", "counts": {"success": 1, "INVALID_SIGNATURE": 1}},
        {"start": "2026-11-22T05:08:00.000Z", "counts": {"success": 1}},
    ]
    assert counts(PROVIDER, granularity="hour") == [
        {"start": "2026-11-22T05:00:00.000Z", "counts": {"success": 2, "INVALID_SIGNATURE": 1}}
    ]


@aggregation
def test_counts_add_up_across_batches() -> None:
    aggregate(inserted(call("2026-11-22T05:07:01.000Z")))
    aggregate(inserted(call("2026-11-22T05:07:02.000Z")))
    assert counts(CALLER) == [{"start": "2026-11-22T00:00:00.000Z", "counts": {"success": 2}}]


@aggregation
def test_a_call_without_app_or_api_counts_only_in_the_all_scope() -> None:
    record = call("2026-11-22T05:07:01.000Z", "INVALID_KEY", app_id="", caller_account_id="")
    aggregate(inserted(record._replace(api_id="")))
    assert counts(PROVIDER) == [{"start": "2026-11-22T00:00:00.000Z", "counts": {"INVALID_KEY": 1}}]
    assert counts(PROVIDER, "app", APP) == counts(PROVIDER, "api", API) == []


@aggregation
def test_a_result_changed_by_the_body_check_moves_the_count() -> None:
    record = call("2026-11-22T05:07:01.000Z")
    aggregate(inserted(record))
    aggregate(modified(record, "INVALID_CONTENT_MD5"))
    # The emptied success counter is left out rather than shown as 0.
    assert counts(PROVIDER) == [
        {"start": "2026-11-22T00:00:00.000Z", "counts": {"INVALID_CONTENT_MD5": 1}}
    ]


@aggregation
def test_a_record_inserted_and_changed_in_one_batch_counts_once_as_it_ended() -> None:
    record = call("2026-11-22T05:07:01.000Z")
    aggregate(inserted(record) + modified(record, "INVALID_CONTENT_MD5"))
    assert counts(CALLER) == [
        {"start": "2026-11-22T00:00:00.000Z", "counts": {"INVALID_CONTENT_MD5": 1}}
    ]


@aggregation
def test_a_rewrite_with_the_same_result_changes_nothing() -> None:
    record = call("2026-11-22T05:07:01.000Z")
    aggregate(inserted(record))
    aggregate(modified(record, "success"))
    assert counts(CALLER) == [{"start": "2026-11-22T00:00:00.000Z", "counts": {"success": 1}}]


@aggregation
def test_expired_records_and_foreign_events_keep_the_counts() -> None:
    record = call("2026-11-22T05:07:01.000Z")
    aggregate(inserted(record))
    [item] = stored(record)
    aggregate(
        [
            {"eventName": "REMOVE", "dynamodb": {"OldImage": item}},
            {"eventName": "INSERT", "dynamodb": {"NewImage": {"viewer": {"S": PROVIDER}}}},
            {"eventName": "INSERT", "dynamodb": {}},
        ]
    )
    assert counts(PROVIDER) == [{"start": "2026-11-22T00:00:00.000Z", "counts": {"success": 1}}]


@aggregation
def test_counts_are_read_within_the_buckets_of_the_range_only() -> None:
    aggregate(
        inserted(call("2026-11-21T23:59:59.999Z"))
        + inserted(call("2026-11-22T00:00:00.000Z"))
        + inserted(call("2026-11-23T00:00:00.000Z"))
    )
    assert counts(CALLER) == [{"start": "2026-11-22T00:00:00.000Z", "counts": {"success": 1}}]
    late_start = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert read_counts(CALLER, "all", "-", "day", late_start, END) == counts(CALLER)


# --- call_count and last_used_at of keys and apps ---


@aggregation
def test_successful_calls_count_once_per_call_for_the_key_and_the_app() -> None:
    put_key_and_app()
    aggregate(
        inserted(call("2026-11-22T05:07:01.000Z"))
        + inserted(call("2026-11-22T05:09:00.000Z"))
        + inserted(call("2026-11-22T05:08:00.000Z"))
    )
    expected = {"call_count": 3, "last_used_at": "2026-11-22T05:09:00.000Z"}
    assert key_usage() == expected == app_usage()


@aggregation
def test_refused_calls_do_not_count_as_use() -> None:
    put_key_and_app()
    aggregate(inserted(call("2026-11-22T05:07:01.000Z", "NOT_AUTHORIZED")))
    assert key_usage() == {"call_count": 0, "last_used_at": None} == app_usage()


@aggregation
def test_an_appcode_call_counts_for_the_app_only() -> None:
    put_key_and_app()
    aggregate(inserted(call("2026-11-22T05:07:01.000Z", access_key="", auth_method="appcode")))
    assert app_usage() == {"call_count": 1, "last_used_at": "2026-11-22T05:07:01.000Z"}
    assert key_usage() == {"call_count": 0, "last_used_at": None}


@aggregation
def test_a_call_refused_by_the_body_check_is_taken_back() -> None:
    put_key_and_app()
    earlier = call("2026-11-22T05:07:01.000Z")
    later = call("2026-11-22T05:08:00.000Z")
    aggregate(inserted(earlier) + inserted(later))
    aggregate(modified(later, "INVALID_CONTENT_MD5"))
    # last_used_at goes back to the newest call that really got through.
    expected = {"call_count": 1, "last_used_at": "2026-11-22T05:07:01.000Z"}
    assert key_usage() == expected == app_usage()


@aggregation
def test_the_only_call_refused_by_the_body_check_leaves_no_last_use() -> None:
    put_key_and_app()
    record = call("2026-11-22T05:07:01.000Z")
    aggregate(inserted(record))
    aggregate(modified(record, "INVALID_CONTENT_MD5"))
    assert key_usage() == {"call_count": 0, "last_used_at": None} == app_usage()


@aggregation
def test_a_call_later_allowed_counts_then() -> None:
    put_key_and_app()
    record = call("2026-11-22T05:07:01.000Z", "INVALID_CONTENT_MD5")
    aggregate(inserted(record))
    aggregate(modified(record, "success"))
    assert key_usage() == {"call_count": 1, "last_used_at": "2026-11-22T05:07:01.000Z"}


@aggregation
def test_usage_of_a_deleted_key_or_app_is_dropped_not_recreated() -> None:
    aggregate(inserted(call("2026-11-22T05:07:01.000Z")))
    for table, key_name, value in (("keys", "access_key", KEY), ("apps", "app_id", APP)):
        item = clients.dynamodb().get_item(
            TableName=settings().table_name(table), Key={key_name: {"S": value}}
        )
        assert "Item" not in item


@aggregation
def test_a_nonce_used_again_after_its_window_counts_the_new_call_once_and_keeps_the_old() -> None:
    """The new call takes the item over (MODIFY, another request id); the old record moves
    to a copy marked ``moved`` (INSERT), already counted (``writes.save``)."""
    first = call("2026-11-22T05:07:01.000Z")
    second = call("2026-11-22T05:30:00.000Z")
    aggregate(inserted(first))
    [old] = stored(first)
    [new] = stored(second)
    new = {**new, "id": old["id"]}
    moved = {**old, "id": {"S": old["id"]["S"] + "#moved"}, "moved": {"BOOL": True}}
    aggregate(
        [
            {"eventName": "MODIFY", "dynamodb": {"OldImage": old, "NewImage": new}},
            {"eventName": "INSERT", "dynamodb": {"NewImage": moved}},
        ]
    )
    assert counts(CALLER) == [{"start": "2026-11-22T00:00:00.000Z", "counts": {"success": 2}}]
