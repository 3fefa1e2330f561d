"""``GET /v1/call-records?request_id=``: the one record of a call, found by the id its caller
saw, for each account that sees the call and for no other. A refusal (and any record keyed by
its request id) is found in a few small reads; an allowed call, which pays no lookup entry,
among the viewer's successes, a page of reads at a time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.admin import Admin
from tests.support.events import run, signed_event


def call(key: str, secret: str, request_id: str, headers: dict[str, str] | None = None) -> Any:
    credentials = {"access_key": key, "secret": secret}
    event = signed_event(credentials, gateway_id="local", headers=headers)
    event["requestContext"]["requestId"] = request_id
    return run(event)


def refused(demo: dict[str, str], request_id: str) -> None:
    """A verified call refused (INVALID_STAGE, after the signature): keyed by its nonce."""
    verdict = call(demo["access_key"], demo["secret"], request_id, {"X-Ca-Stage": "NOPE"})
    assert verdict["context"]["error_code"] == "INVALID_STAGE", verdict


@pytest.fixture
def demo(admin: Admin) -> dict[str, str]:
    from chalicelib.services.bootstrap import register_demo

    return register_demo()


@pytest.fixture
def stranger(admin: Admin) -> Admin:
    created = admin.post("/v1/accounts", {"name": "stranger"})
    assert created.status == 201, created.body
    return Admin(admin.client, created.body["token"])


@pytest.fixture
def requests() -> Iterator[list[str]]:
    """The DynamoDB operations on the calls table made while the test runs."""
    from chalicelib.config import settings
    from chalicelib.storage import clients

    made: list[str] = []

    def count(params: dict[str, Any], model: Any, **_: Any) -> None:
        if params.get("TableName") == settings().table_name("calls"):
            made.append(model.name)

    events = clients.dynamodb().meta.events
    events.register("provide-client-params.dynamodb", count)
    yield made
    events.unregister("provide-client-params.dynamodb", count)


def found(admin: Admin, query: str) -> list[str]:
    page = admin.get(f"/v1/call-records?{query}")
    assert page.status == 200, page.body
    assert page.body["next_cursor"] is None
    return [record["request_id"] for record in page.body["items"]]


def test_both_viewers_find_a_call_by_its_request_id_and_no_other_account_does(
    admin: Admin, other: Admin, stranger: Admin, demo: dict[str, str]
) -> None:
    created = other.post("/v1/apps", {"name": "caller"}).body
    key, secret = created["keys"][0]["access_key"], created["keys"][0]["secret"]
    granted = admin.post("/v1/authorizations", {"app_id": created["app_id"], "group": "demo"})
    assert granted.status == 201, granted.body
    allowed = f"req-cross-{time.time_ns()}"
    assert call(key, secret, allowed)["context"]["provider_account_id"] == "default"
    call(demo["access_key"], demo["secret"], f"req-own-{time.time_ns()}")  # another call
    assert found(admin, f"request_id={allowed}") == [allowed]  # the API's owner
    assert found(other, f"request_id={allowed}") == [allowed]  # the app's owner
    assert found(stranger, f"request_id={allowed}") == []
    # A call whose signature did not verify is keyed by its request id: found the same way.
    denied = f"req-denied-{time.time_ns()}"
    call(key, "wrong-secret", denied)
    assert found(other, f"request_id={denied}") == [denied]
    assert found(stranger, f"request_id={denied}") == []
    assert found(admin, "request_id=req-never-made") == []


def test_the_other_filters_must_match_the_call_found(admin: Admin, demo: dict[str, str]) -> None:
    request_id = f"req-filtered-{time.time_ns()}"
    call(demo["access_key"], demo["secret"], request_id)
    assert found(admin, f"request_id={request_id}&result=success") == [request_id]
    assert found(admin, f"request_id={request_id}&app_id={demo['app_id']}") == [request_id]
    assert found(admin, f"request_id={request_id}&result=failure") == []
    assert found(admin, f"request_id={request_id}&app_id=app-other") == []
    assert found(admin, f"request_id={request_id}&from=2999-01-01T00:00:00Z") == []


def test_a_refusal_is_found_in_three_small_reads(
    admin: Admin, demo: dict[str, str], requests: list[str]
) -> None:
    denied = f"req-refused-{time.time_ns()}"
    for _ in range(30):  # others' records do not make the lookup read more
        call(demo["access_key"], demo["secret"], f"req-noise-{time.time_ns()}")
    refused(demo, denied)
    requests.clear()
    page = admin.get(f"/v1/call-records?request_id={denied}")
    assert [r["request_id"] for r in page.body["items"]] == [denied]
    assert page.body["items"][0]["result"] == "INVALID_STAGE"
    assert page.body["scanned_count"] == 1 and page.body["next_cursor"] is None
    # The id as a key (absent: the call was verified), the index entry, the record.
    assert requests == ["GetItem", "Query", "GetItem"]


def test_only_a_refusal_keyed_by_its_nonce_pays_the_lookup_entry(
    admin: Admin, demo: dict[str, str]
) -> None:
    from chalicelib.storage.calls.lookup import by_request_id

    allowed, denied = f"req-ok-{time.time_ns()}", f"req-no-{time.time_ns()}"
    call(demo["access_key"], demo["secret"], allowed)
    refused(demo, denied)
    assert by_request_id("default", allowed) == ([], 0)
    assert [r.request_id for r in by_request_id("default", denied)[0]] == [denied]


def test_an_allowed_call_is_looked_for_among_the_successes_a_page_of_reads_at_a_time(
    admin: Admin, demo: dict[str, str]
) -> None:
    from chalicelib.storage.calls.listing import MAX_PAGES

    wanted = f"req-older-{time.time_ns()}"
    call(demo["access_key"], demo["secret"], wanted)
    newer = MAX_PAGES * 50 + 10  # more than one page of reads holds
    for number in range(newer):
        call(demo["access_key"], demo["secret"], f"req-newer-{number}-{time.time_ns()}")
    refused(demo, f"req-refusal-{time.time_ns()}")  # not read: not a success
    first = admin.get(f"/v1/call-records?request_id={wanted}&limit=50")
    assert first.status == 200, first.body
    assert first.body["items"] == [] and first.body["scanned_count"] <= MAX_PAGES * 50
    cursor = first.body["next_cursor"]
    assert cursor, "an empty page that has not read everything says where to go on"
    second = admin.get(f"/v1/call-records?request_id={wanted}&limit=50&cursor={cursor}")
    assert second.status == 200, second.body
    assert [r["request_id"] for r in second.body["items"]] == [wanted]
    assert second.body["next_cursor"] is None  # found: the one call
    # A cursor of this search is this search's alone.
    other = admin.get(f"/v1/call-records?request_id=req-else&limit=50&cursor={cursor}")
    assert other.status == 400 and other.body["field"] == "cursor"
    listing = admin.get(f"/v1/call-records?limit=50&cursor={cursor}")
    assert listing.status == 400 and listing.body["field"] == "cursor"


def test_a_refusal_search_has_no_next_page(admin: Admin) -> None:
    page = admin.get("/v1/call-records?request_id=req-1&result=failure&cursor=abc")
    assert page.status == 400 and page.body["field"] == "cursor"
    forged = admin.get("/v1/call-records?request_id=req-1&cursor=abc")
    assert forged.status == 400 and forged.body["field"] == "cursor"


@pytest.mark.parametrize("request_id", ["", " ", "\u00e9\u4e2d#\uffff", "x" * 256])
def test_any_request_id_is_an_answer_never_a_500(admin: Admin, request_id: str) -> None:
    from urllib.parse import quote

    page = admin.get(f"/v1/call-records?request_id={quote(request_id)}")
    assert page.status in (200, 400), page.body
    if page.status == 400:
        assert page.body["field"] == "request_id"
