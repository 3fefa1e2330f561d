"""Call records and stats through the admin API, after real authorizer decisions."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from tests.support.admin import Admin
from tests.support.events import run, signed_event


def call(key: str, secret: str, resource: str = "/demo/hello", **headers: str) -> dict[str, Any]:
    """A real client's signed call through the local gateway, where the demo APIs are."""
    creds = {"access_key": key, "secret": secret}
    event = signed_event(creds, resource=resource, headers=headers, gateway_id="local")
    event["requestContext"]["requestId"] = f"req-{time.time_ns()}"
    return run(event)


def drain_stream() -> None:
    """What DynamoDB Streams + record_aggregator do in AWS, against in-process moto."""
    from devtools.record_stream import StreamReader, drain

    drain(StreamReader())


@pytest.fixture
def demo(admin: Admin) -> dict[str, str]:
    from chalicelib.services.bootstrap import register_demo

    return register_demo()


def test_records_are_listed_newest_first_with_filters(admin: Admin, demo: dict[str, str]) -> None:
    key, secret = demo["access_key"], demo["secret"]
    call(key, secret)
    call(key, "wrong-secret")
    call(key, secret, resource="/demo/nowhere")
    page = admin.get("/v1/call-records")
    assert page.status == 200, page.body
    results = [r["result"] for r in page.body["items"]]
    assert results == ["API_NOT_FOUND", "INVALID_SIGNATURE", "success"]
    times = [r["time"] for r in page.body["items"]]
    assert times == sorted(times, reverse=True)
    assert page.body["retention_days"] == 90
    only = admin.get("/v1/call-records?result=success").body["items"]
    assert [r["result"] for r in only] == ["success"]
    failures = admin.get("/v1/call-records?result=failure").body["items"]
    assert len(failures) == 2
    by_code = admin.get("/v1/call-records?result=INVALID_SIGNATURE").body["items"]
    assert len(by_code) == 1
    by_key = admin.get(f"/v1/call-records?access_key={key}&result=success").body["items"]
    assert len(by_key) == 1
    by_app = admin.get(f"/v1/call-records?app_id={demo['app_id']}").body["items"]
    assert len(by_app) == 3
    newest = times[0]
    before = admin.get(f"/v1/call-records?to={times[1]}").body["items"]
    assert [r["time"] for r in before] == times[1:]
    after = admin.get(f"/v1/call-records?from={newest}").body["items"]
    assert [r["time"] for r in after] == [newest]


def test_pages_walk_every_record_once(admin: Admin, demo: dict[str, str]) -> None:
    for _ in range(5):
        call(demo["access_key"], demo["secret"])
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        page = admin.get(f"/v1/call-records?limit=2&cursor={cursor}").body
        seen.extend(r["request_id"] for r in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 == len(set(seen))


@pytest.mark.parametrize(
    "query",
    [
        "result=BOGUS",
        "from=2026-11-22T05:00:00Z&to=2026-11-22T04:00:00Z",
        "from=yesterday",
        "limit=0",
        "limit=201",
        "limit=ten",
        "cursor=not-a-cursor",
        "cursor=eyJ2aWV3ZXIiOnsiUyI6Im90aGVyIn0sInNrIjp7IlMiOiJ4In19",
        "unknown=1",
    ],
)
def test_bad_filters_are_a_400_naming_the_field(admin: Admin, query: str) -> None:
    reply = admin.get(f"/v1/call-records?{query}")
    assert reply.status == 400, reply.body
    assert reply.body["code"] == "ValidationError" and reply.body["message"]


def test_another_accounts_cursor_is_refused(
    admin: Admin, other: Admin, demo: dict[str, str]
) -> None:
    for _ in range(3):
        call(demo["access_key"], demo["secret"])
    cursor = admin.get("/v1/call-records?limit=1").body["next_cursor"]
    assert cursor
    assert other.get(f"/v1/call-records?limit=1&cursor={cursor}").status == 400


def test_each_account_sees_calls_to_its_apis_and_by_its_apps(
    admin: Admin, other: Admin, demo: dict[str, str]
) -> None:
    created = other.post("/v1/apps", {"name": "caller"}).body
    key, secret = created["keys"][0]["access_key"], created["keys"][0]["secret"]
    granted = admin.post("/v1/authorizations", {"app_id": created["app_id"], "group": "demo"})
    assert granted.status == 201, granted.body
    assert call(key, secret)["context"]["provider_account_id"] == "default"
    call(demo["access_key"], demo["secret"])  # the default account's own call
    provider_view = admin.get("/v1/call-records").body["items"]
    caller_view = other.get("/v1/call-records").body["items"]
    assert len(provider_view) == 2
    assert [r["app_id"] for r in caller_view] == [created["app_id"]]
    assert other.get(f"/v1/call-records?app_id={demo['app_id']}").body["items"] == []


def test_stats_and_usage_counters_follow_the_stream(admin: Admin, demo: dict[str, str]) -> None:
    call(demo["access_key"], demo["secret"])
    call(demo["access_key"], demo["secret"])
    call(demo["access_key"], "wrong")
    drain_stream()
    stats = admin.get(f"/v1/call-records/stats?bucket=minute&app_id={demo['app_id']}")
    assert stats.status == 200, stats.body
    minutes = stats.body["items"]  # one bucket, or two if the calls straddled a minute
    assert 1 <= len(minutes) <= 2
    assert sum((Counter(b["counts"]) for b in minutes), Counter()) == Counter(
        {"success": 2, "INVALID_SIGNATURE": 1}
    )
    hourly = admin.get("/v1/call-records/stats?bucket=hour").body["items"]
    assert sum(b["counts"].get("success", 0) for b in hourly) == 2
    key = admin.get(f"/v1/keys/{demo['access_key']}").body
    app = admin.get(f"/v1/apps/{demo['app_id']}").body
    assert key["call_count"] == 2 == app["call_count"]
    assert key["last_used_at"] and key["last_used_at"] == app["last_used_at"]


@pytest.mark.parametrize(
    "query",
    [
        "bucket=week",
        "app_id=a&api_id=b",
        "bucket=minute&from=2026-01-01T00:00:00Z&to=2026-11-01T00:00:00Z",
        "from=2026-11-22T05:00:00Z&to=2026-11-22T04:00:00Z",
    ],
)
def test_bad_stats_queries_are_a_400(admin: Admin, query: str) -> None:
    assert admin.get(f"/v1/call-records/stats?{query}").status == 400
