"""Call records of real signed calls: listing, filters, pagination, stats and usage counters.

One module-wide app makes a known set of calls; every test reads them back through the
admin API, filtered by that app so calls made by other tests never get in the way.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from aliyun_api_gateway import ApiGatewayRequest, ApiGatewayResponse

from tests.support.local_server import LocalRun, TestApp, send, wait_for

pytestmark = pytest.mark.e2e

TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
MINUTE_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$")
RECORDS_DELAY = 1.0  # records are written by the authorizer itself
COUNTERS_DELAY = 3.0  # counters follow the record stream (~0.3 s behind)


@dataclass(frozen=True)
class Call:
    request_id: str
    method: str
    path: str
    result: str
    api_id: str


@dataclass(frozen=True)
class Calls:
    app: TestApp
    calls: list[Call]

    def ids(self, result: str | None = None) -> set[str]:
        return {c.request_id for c in self.calls if result in (None, c.result)}

    def successes(self) -> set[str]:
        return self.ids("success")

    def failures(self) -> set[str]:
        return {c.request_id for c in self.calls if c.result != "success"}


def _call(response: ApiGatewayResponse, path: str, result: str, api_id: str) -> Call:
    request_id = response.get_header("X-Ca-Request-Id")
    assert request_id, response.headers
    code = response.get_header("X-Ca-Error-Code") or "success"
    assert code == result, (response.status, response.headers, response.body)
    method = "GET" if path == "/demo/hello" else "POST"
    return Call(request_id, method, path, result, api_id)


@pytest.fixture(scope="module")
def made(local: LocalRun) -> Calls:
    app = local.new_app()
    client = local.client(app)
    hello_id, echo_id = local.api_id("demo-hello"), local.api_id("demo-echo")
    calls = [
        _call(
            client.request("GET", "/demo/hello", query={"n": "1"}),
            "/demo/hello",
            "success",
            hello_id,
        )
    ]
    calls.append(
        _call(
            client.request("POST", "/demo/echo", json_body={"n": 2}),
            "/demo/echo",
            "success",
            echo_id,
        )
    )
    replayed = client.sign(ApiGatewayRequest("GET", "/demo/hello", query={"n": "3"}))
    calls.append(_call(send(replayed), "/demo/hello", "success", hello_id))
    calls.append(_call(send(replayed), "/demo/hello", "NONCE_USED", hello_id))
    stage = client.request("GET", "/demo/hello", headers={"X-Ca-Stage": "FOO"})
    calls.append(_call(stage, "/demo/hello", "INVALID_STAGE", hello_id))
    return Calls(app, calls)


def records(local: LocalRun, **query: Any) -> dict[str, Any]:
    reply = local.get("/v1/call-records?" + urllib.parse.urlencode(query))
    assert reply.status == 200, reply.body
    return dict(reply.body)


def app_records(local: LocalRun, made: Calls, **query: Any) -> list[dict[str, Any]]:
    return list(records(local, app_id=made.app.app_id, limit=200, **query)["items"])


def request_ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["request_id"] for item in items}


def test_each_call_is_recorded_at_once_with_its_details(local: LocalRun, made: Calls) -> None:
    expected = {c.request_id: c for c in made.calls}

    def all_recorded() -> list[dict[str, Any]] | None:
        found = app_records(local, made)
        return found if request_ids(found) >= set(expected) else None

    items = wait_for(all_recorded, RECORDS_DELAY)
    assert items, app_records(local, made)
    assert request_ids(items) == set(expected)
    times = [item["time"] for item in items]
    assert times == sorted(times, reverse=True)  # newest first
    for item in items:
        call = expected[item["request_id"]]
        assert (item["method"], item["path"], item["result"]) == (
            call.method,
            call.path,
            call.result,
        ), item
        assert (item["app_id"], item["access_key"], item["api_id"]) == (
            made.app.app_id,
            made.app.access_key,
            call.api_id,
        ), item
        assert item["source_ip"] == "127.0.0.1"
        assert item["auth_method"] == "signature"
        assert item["stage"] == ("FOO" if call.result == "INVALID_STAGE" else "RELEASE")
        assert TIME_FORMAT.match(item["time"]), item["time"]
        assert isinstance(item["latency_ms"], float) and 0 <= item["latency_ms"] < 60_000
        # Which secret verified is recorded; the secret itself never is.
        assert made.app.secret not in json.dumps(item)
        assert item["secret"] in (("current",) if call.result == "success" else ("current", None))


@pytest.mark.parametrize(
    ("result", "pick"),
    [
        ("success", Calls.successes),
        ("failure", Calls.failures),
        ("NONCE_USED", lambda made: made.ids("NONCE_USED")),
        ("INVALID_STAGE", lambda made: made.ids("INVALID_STAGE")),
    ],
)
def test_result_filter(local: LocalRun, made: Calls, result: str, pick: Any) -> None:
    items = app_records(local, made, result=result)
    assert request_ids(items) == pick(made)
    if result not in ("success", "failure"):
        assert {item["result"] for item in items} == {result}


def test_result_filter_alone_sees_the_whole_account(local: LocalRun, made: Calls) -> None:
    items = records(local, result="NONCE_USED", limit=200)["items"]
    assert made.ids("NONCE_USED") <= request_ids(items)
    assert {item["result"] for item in items} == {"NONCE_USED"}


def test_api_id_filter(local: LocalRun, made: Calls) -> None:
    echo_id = local.api_id("demo-echo")
    echo_calls = {c.request_id for c in made.calls if c.api_id == echo_id}
    assert request_ids(app_records(local, made, api_id=echo_id)) == echo_calls
    everyone = records(local, api_id=echo_id, limit=200)["items"]
    assert echo_calls <= request_ids(everyone)
    assert {item["path"] for item in everyone} == {"/demo/echo"}


def test_access_key_filter(local: LocalRun, made: Calls) -> None:
    items = records(local, access_key=made.app.access_key, limit=200)["items"]
    assert request_ids(items) == made.ids()
    other = records(local, access_key=local.demo_access_key, limit=200)["items"]
    assert not request_ids(other) & made.ids()


def test_from_and_to_bound_the_time_range(local: LocalRun, made: Calls) -> None:
    everything = app_records(local, made)
    middle = everything[len(everything) // 2]["time"]
    newer = {item["request_id"] for item in everything if item["time"] >= middle}
    older = {item["request_id"] for item in everything if item["time"] <= middle}
    assert request_ids(app_records(local, made, **{"from": middle})) == newer
    assert request_ids(app_records(local, made, to=middle)) == older
    assert request_ids(app_records(local, made, **{"from": middle, "to": middle})) == (
        newer & older
    )
    assert app_records(local, made, **{"from": "2999-01-01T00:00:00Z"}) == []
    assert app_records(local, made, to="2001-01-01T00:00:00Z") == []


def test_pagination_with_limit_2_walks_every_record_once(local: LocalRun, made: Calls) -> None:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(made.calls) + 2):
        query: dict[str, Any] = {"app_id": made.app.app_id, "limit": 2}
        if cursor:
            query["cursor"] = cursor
        page = records(local, **query)
        assert len(page["items"]) <= 2
        seen.extend(item["request_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert cursor is None, "pagination did not end"
    assert len(seen) == len(set(seen)), seen
    assert set(seen) == made.ids()


def _stat_counts(local: LocalRun, **query: Any) -> Counter[str]:
    reply = local.get("/v1/call-records/stats?" + urllib.parse.urlencode(query))
    assert reply.status == 200, reply.body
    assert reply.body["bucket"] == query["bucket"]
    total: Counter[str] = Counter()
    for item in reply.body["items"]:
        assert MINUTE_FORMAT.match(item["start"]), item
        total.update(item["counts"])
    return total


def _counted(local: LocalRun, app: TestApp, expected: Counter[str]) -> Counter[str] | None:
    def probe() -> Counter[str] | None:
        counts = _stat_counts(local, bucket="minute", app_id=app.app_id)
        return counts if counts == expected else None

    return wait_for(probe, COUNTERS_DELAY)


def _used(local: LocalRun, path: str, calls: int) -> dict[str, Any] | None:
    def probe() -> dict[str, Any] | None:
        view = local.ok(local.get(path))
        return view if view["call_count"] == calls and view["last_used_at"] else None

    return wait_for(probe, COUNTERS_DELAY)


@pytest.fixture(scope="module")
def counted(local: LocalRun) -> Calls:
    """Allowed calls and denials decided by the authorizer and by the body check."""
    app = local.new_app()
    client = local.client(app)
    hello_id, echo_id = local.api_id("demo-hello"), local.api_id("demo-echo")
    calls = [
        _call(client.request("GET", "/demo/hello"), "/demo/hello", "success", hello_id),
        _call(
            client.request("POST", "/demo/echo", json_body={"n": 1}),
            "/demo/echo",
            "success",
            echo_id,
        ),
        _call(
            client.request("POST", "/demo/echo", form={"n": "2"}), "/demo/echo", "success", echo_id
        ),
        _call(
            client.request("GET", "/demo/hello", headers={"X-Ca-Stage": "FOO"}),
            "/demo/hello",
            "INVALID_STAGE",
            hello_id,
        ),
    ]
    form = client.sign(ApiGatewayRequest("POST", "/demo/echo", form={"n": "3"}))
    calls.append(_call(send(form, body=b"n=4"), "/demo/echo", "INVALID_SIGNATURE", echo_id))
    json_call = client.sign(ApiGatewayRequest("POST", "/demo/echo", json_body={"n": 5}))
    calls.append(
        _call(send(json_call, body=b'{"n":6}'), "/demo/echo", "INVALID_CONTENT_MD5", echo_id)
    )
    return Calls(app, calls)


def test_stats_by_minute_count_each_result(local: LocalRun, counted: Calls) -> None:
    expected = Counter(c.result for c in counted.calls)
    got = _counted(local, counted.app, expected)
    assert got == expected, _stat_counts(local, bucket="minute", app_id=counted.app.app_id)
    account = _stat_counts(local, bucket="minute")
    assert all(account[result] >= n for result, n in expected.items()), account
    by_api = _stat_counts(local, bucket="hour", api_id=local.api_id("demo-echo"))
    assert by_api["INVALID_CONTENT_MD5"] >= 1, by_api


def test_key_and_app_call_count_count_the_allowed_calls(local: LocalRun, counted: Calls) -> None:
    allowed = len(counted.successes())
    first = min(item["time"] for item in app_records(local, counted))
    for path in (f"/v1/keys/{counted.app.access_key}", f"/v1/apps/{counted.app.app_id}"):
        used = _used(local, path, allowed)
        assert used is not None, local.get(path).body
        assert TIME_FORMAT.match(used["last_used_at"]) and used["last_used_at"] >= first


def test_last_used_at_is_the_time_of_the_last_allowed_call(local: LocalRun, counted: Calls) -> None:
    allowed = len(counted.successes())
    newest = max(
        item["time"] for item in app_records(local, counted) if item["result"] == "success"
    )
    for path in (f"/v1/keys/{counted.app.access_key}", f"/v1/apps/{counted.app.app_id}"):
        used = _used(local, path, allowed)
        assert used is not None, local.get(path).body
        assert used["last_used_at"] == newest


def test_stats_count_replays_as_nonce_used(local: LocalRun, made: Calls) -> None:
    expected = Counter(c.result for c in made.calls)
    got = _counted(local, made.app, expected)
    assert got == expected, _stat_counts(local, bucket="minute", app_id=made.app.app_id)


def test_usage_keeps_counting_after_a_replay(local: LocalRun) -> None:
    replayed = local.client(local.new_app()).sign(ApiGatewayRequest("GET", "/demo/hello"))
    assert send(replayed).status == 200
    assert send(replayed).get_header("X-Ca-Error-Code") == "NONCE_USED"
    later = local.new_app()
    assert local.client(later).request("GET", "/demo/hello").status == 200
    key = _used(local, f"/v1/keys/{later.access_key}", 1)
    assert key is not None, local.get(f"/v1/keys/{later.access_key}").body
    assert _counted(local, later, Counter(success=1)) == Counter(success=1)


def test_another_account_sees_none_of_these_records(local: LocalRun, made: Calls) -> None:
    tenant = local.ok(local.post("/v1/accounts", {"name": "e2e records"}), 201)
    reply = local.get("/v1/call-records?limit=200", token=tenant["token"])
    assert reply.status == 200, reply.body
    assert not request_ids(reply.body["items"]) & made.ids()
    by_app = local.get(f"/v1/call-records?app_id={made.app.app_id}", token=tenant["token"])
    assert by_app.status in (200, 404), by_app.body
    if by_app.status == 200:
        assert by_app.body["items"] == []


def _cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        {"result": "BOGUS"},
        {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        {"from": "yesterday"},
        {"to": "2026-13-45T99:00:00Z"},
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "many"},
        {"cursor": "not-a-cursor!"},
        {"cursor": _cursor({"viewer": {"S": "someone-else"}, "sk": {"S": "2026#x"}})},
        {"cursor": _cursor({"viewer": {"S": "default"}, "sk": {"N": "1"}})},
        {"unknown": "1"},
    ],
    ids=[
        "result-bogus",
        "from-after-to",
        "from-malformed",
        "to-malformed",
        "limit-0",
        "limit-201",
        "limit-text",
        "cursor-garbage",
        "cursor-other-account",
        "cursor-wrong-type",
        "unknown-parameter",
    ],
)
def test_bad_filters_are_a_400_with_code_and_message(
    local: LocalRun, query: dict[str, str]
) -> None:
    reply = local.get("/v1/call-records?" + urllib.parse.urlencode(query))
    assert reply.status == 400, (query, reply.body)
    assert set(reply.body) >= {"code", "message"}


def test_cursor_of_one_listing_is_refused_by_another(local: LocalRun, made: Calls) -> None:
    page = records(local, app_id=made.app.app_id, limit=1)
    assert page["next_cursor"]
    reply = local.get(
        "/v1/call-records?" + urllib.parse.urlencode({"limit": 1, "cursor": page["next_cursor"]})
    )
    assert reply.status == 400, reply.body


@pytest.mark.parametrize(
    "query",
    [{"bucket": "week"}, {"bucket": "minute", "from": "2020-01-01T00:00:00Z"}, {"from": "x"}],
    ids=["bucket-unknown", "too-many-buckets", "from-malformed"],
)
def test_bad_stats_queries_are_a_400(local: LocalRun, query: dict[str, str]) -> None:
    reply = local.get("/v1/call-records/stats?" + urllib.parse.urlencode(query))
    assert reply.status == 400, (query, reply.body)
    assert set(reply.body) >= {"code", "message"}
