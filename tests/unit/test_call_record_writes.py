"""Writing a call's record (``storage/calls/writes.py``): a verified call's record is its
nonce, so one conditional put refuses a replay and stores the record; the limits' counters
join it in a transaction. Over in-process moto."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.config import settings
from chalicelib.domain.records import CallRecord
from chalicelib.storage import clients
from chalicelib.storage.calls import listing, plans, writes
from chalicelib.storage.calls.counting import Counter
from chalicelib.storage.calls.items import Nonce, record_item


@pytest.fixture(scope="module", autouse=True)
def tables() -> Iterator[None]:
    from chalicelib.storage.models import CallRecordModel, CounterModel

    with mock_aws():
        CallRecordModel.create_table(wait=False)
        CounterModel.create_table(wait=False)
        yield


def record(request_id: str, result: str = "success") -> CallRecord:
    return CallRecord(
        request_id=request_id,
        time=f"2026-11-22T05:00:00.{int(request_id[-3:]):03d}Z",
        method="GET",
        path="/p",
        source_ip="198.51.100.7",
        stage="RELEASE",
        result=result,
        access_key="key12345",
        app_id="app-1",
        api_id="api-1",
        caller_account_id="acc-1",
        provider_account_id="acc-1",
    )


def items() -> dict[str, dict[str, Any]]:
    found = clients.dynamodb().scan(TableName=settings().table_name("calls"))["Items"]
    return {item["id"]["S"]: item for item in found}


def listed(viewer: str = "acc-1") -> list[str]:
    page = listing.query(viewer, plans.RecordFilter(), None, None, 200, None)
    return [r.request_id for r in page.records]


def test_a_nonce_is_refused_while_it_counts_and_nothing_is_written() -> None:
    nonce = Nonce("key12345#n-1", int(time.time()) + 60)
    assert writes.save(record("req-001"), nonce) == ""
    before = items()
    assert writes.save(record("req-002"), nonce) == "nonce"
    assert items() == before
    assert before["n#key12345#n-1"]["request_id"]["S"] == "req-001"


def test_a_nonce_used_again_after_it_stopped_counting_is_a_new_call_and_keeps_the_old() -> None:
    first = Nonce("key12345#n-2", int(time.time()) - 1)
    assert writes.save(record("req-003"), first) == ""
    again = Nonce("key12345#n-2", int(time.time()) + 60)
    assert writes.save(record("req-004"), again) == ""
    stored = items()
    assert stored["n#key12345#n-2"]["request_id"]["S"] == "req-004"
    [moved] = [i for i in stored.values() if i["request_id"]["S"] == "req-003"]
    assert moved["moved"] == {"BOOL": True} and "nonce_until" not in moved
    assert {"req-003", "req-004"} <= set(listed())
    # And now it counts again.
    assert writes.save(record("req-005"), again) == "nonce"


def test_a_limit_reached_writes_neither_the_nonce_nor_the_record() -> None:
    counter = Counter("auth-1#per_minute#x", 1, int(time.time()) + 120, "per_minute")
    assert writes.save(record("req-006"), Nonce("key12345#n-6", 2**40), [counter]) == ""
    before = items()
    nonce = Nonce("key12345#n-7", 2**40)
    assert writes.save(record("req-007"), nonce, [counter]) == "per_minute"
    assert items() == before
    # Here the nonce is still unused; the service then records the refusal under it.
    wider = counter._replace(limit=2)
    assert writes.save(record("req-007"), nonce, [wider]) == ""


def test_a_call_counted_in_a_window_begun_after_its_time_is_recorded_in_that_window() -> None:
    """A call that waited while later calls moved its second on counts in their second; its
    record says that second, so no second's records show more calls than the limit."""
    later = Counter(
        "auth-1#per_second#z", 5, int(time.time()) + 120, "per_second", "20261122T050001"
    )
    assert (
        writes.save(record("req-020")._replace(time="2026-11-22T05:00:01.100Z"), None, [later])
        == ""
    )
    late = later._replace(start="20261122T050000")  # its own second: 05:00:00
    nonce = Nonce("key12345#n-21", 2**40)
    assert writes.save(record("req-021"), nonce, [late]) == ""
    stored = items()["n#key12345#n-21"]
    assert stored["time"] == {"S": "2026-11-22T05:00:01.000Z"}
    assert stored["sk"]["S"].startswith("2026-11-22T05:00:01.000Z#")
    # A call counted in its own window keeps its time.
    own = Nonce("key12345#n-22", 2**40)
    assert (
        writes.save(record("req-022")._replace(time="2026-11-22T05:00:01.300Z"), own, [later]) == ""
    )
    assert items()["n#key12345#n-22"]["time"] == {"S": "2026-11-22T05:00:01.300Z"}


def test_a_late_replay_is_taken_back_out_of_the_window_it_was_counted_in() -> None:
    key = "auth-1#per_second#late"
    later = Counter(key, 5, int(time.time()) + 120, "per_second", "20261122T050001")
    assert writes.save(record("req-030"), Nonce("key12345#n-30", 2**40), [later]) == ""
    late = later._replace(start="20261122T050000")
    assert writes.save(record("req-031"), Nonce("key12345#n-30", 2**40), [late]) == "nonce"
    stored = clients.dynamodb().get_item(
        TableName=settings().table_name("counters"), Key={"counter_key": {"S": key}}
    )["Item"]
    assert stored["c_per_second"] == {"N": "1"}  # the replay holds no call of second 01


def test_a_replay_over_a_reached_limit_is_named_by_its_refusals_put() -> None:
    counter = Counter("auth-1#per_minute#y", 1, int(time.time()) + 120, "per_minute")
    nonce = Nonce("key12345#n-8", 2**40)
    assert writes.save(record("req-008"), nonce, [counter]) == ""
    # The limit refuses first and nothing is written; the refusal's record, put under the
    # nonce as every verified call's is, finds it used: the call is the replay.
    assert writes.save(record("req-009"), nonce, [counter]) == "per_minute"
    assert writes.save(record("req-009", "THROTTLED"), nonce) == "nonce"


def test_a_call_fills_its_viewers_app_and_api_indexes_and_a_replay_no_apis() -> None:
    allowed = record_item(record("req-010"))
    denied = record_item(record("req-011", "INVALID_SIGNATURE"))
    replay = record_item(record("req-014", "NONCE_USED"))
    assert allowed is not None and denied is not None and replay is not None
    assert allowed["viewer"] == {"S": "acc-1#success"} and "other_viewer" not in allowed
    assert allowed["idx_app"] == {"S": "app-1"} and allowed["idx_api"] == {"S": "api-1"}
    assert denied["viewer"] == {"S": "acc-1#failure"}
    assert denied["idx_app"] == {"S": "app-1"} and denied["idx_api"] == {"S": "api-1"}
    assert replay["viewer"] == {"S": "acc-1#replay"}
    assert replay["idx_app"] == {"S": "app-1"}
    assert not {"idx_api", "other_viewer"} & set(replay)
    cross = record_item(record("req-012")._replace(caller_account_id="acc-2"))
    assert cross is not None and cross["other_viewer"] == {"S": "acc-2#success"}


def test_a_call_no_account_sees_is_logged_not_stored(caplog: pytest.LogCaptureFixture) -> None:
    nobody = record("req-013")._replace(caller_account_id="", provider_account_id="")
    before = items()
    # Once the app is imported, Chalice's "apiauth" logger stops propagating to caplog's root.
    logger = logging.getLogger("apiauth.calls")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level("INFO", logger="apiauth.calls"):
            assert writes.save(nobody) == ""
    finally:
        logger.removeHandler(caplog.handler)
    assert items() == before
    assert any('"req-013"' in line.getMessage() for line in caplog.records)


def test_no_nonce_lands_on_the_copy_kept_of_a_record_whose_nonce_was_used_again() -> None:
    # The copy's sort key and the old nonce are both in the account's own records.
    assert writes.save(record("req-015"), Nonce("key12345#n-15", int(time.time()) - 1)) == ""
    again = Nonce("key12345#n-15", int(time.time()) + 60)
    assert writes.save(record("req-016"), again) == ""
    [kept] = [i for i in items().values() if i["request_id"]["S"] == "req-015"]
    crafted = Nonce(f"key12345#n-15#{kept['sk']['S']}", int(time.time()) + 60)
    assert writes.save(record("req-017"), crafted) == ""
    stored = items()
    assert stored[f"n#key12345#n-15#{kept['sk']['S']}"]["request_id"]["S"] == "req-017"
    assert stored[kept["id"]["S"]] == kept


# Only what DynamoDB can hold there: an index key (sk, viewer, idx_*) is always a string.
@pytest.mark.parametrize(
    "state",
    [
        {},  # a copy kept by an older version: no nonce_until
        {"nonce_until": {"S": "1"}},
        {"nonce_until": {"NULL": True}},
        {"nonce_until": {"L": [{"N": "1"}]}},
        {"nonce_until": {"N": "1"}, "sk": None},
    ],
    ids=["no-until", "until-text", "until-null", "until-list", "no-sk"],
)
def test_whatever_is_stored_at_a_nonce_id_refuses_the_nonce_and_never_raises(
    state: dict[str, Any],
) -> None:
    nonce = Nonce(f"key12345#odd-{len(items())}", int(time.time()) + 60)
    found = record_item(record("req-018"), nonce)
    assert found is not None
    found.pop("nonce_until")
    odd = {k: v for k, v in {**found, **state}.items() if v is not None}
    clients.dynamodb().put_item(TableName=settings().table_name("calls"), Item=odd)
    before = items()
    assert writes.save(record("req-019"), nonce) == "nonce"
    counter = Counter("auth-1#per_minute#odd", 5, int(time.time()) + 120, "per_minute")
    assert writes.save(record("req-019"), nonce, [counter]) == "nonce"
    assert items() == before
