"""Reading an HTTP API's payload 2.0 event: the raw query string, the path without its stage,
headers as the gateway joins them, and what makes an event malformed."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.route_matching import CATCH_ALL
from chalicelib.http.http_api_event import call_request, http_api_request, parse_query
from tests.support.http_api_events import NAMED_STAGE_EVENT, PAYLOAD_1_EVENT, http_event


@pytest.mark.parametrize(
    ("raw", "pairs"),
    [
        ("", ()),
        ("a=1&a=2", (("a", "1"), ("a", "2"))),  # repeated names stay repeated
        ("q=a+b%26c%3Dd", (("q", "a b&c=d"),)),
        ("%E5%90%8D=%E5%80%BC", (("名", "值"),)),
        ("flag&empty=&x=1", (("flag", ""), ("empty", ""), ("x", "1"))),
        ("a=1&&b=2", (("a", "1"), ("b", "2"))),
        ("a=%25zz", (("a", "%zz"),)),
    ],
)
def test_the_raw_query_string_is_decoded_in_order(raw: str, pairs: tuple[Any, ...]) -> None:
    assert parse_query(raw) == (pairs, "")


@pytest.mark.parametrize("raw", ["a=%zz", "a=%f", "a=%ff", "%C3%28=1", "a=%E2%82"])
def test_a_query_string_that_does_not_decode_is_a_problem_not_a_guess(raw: str) -> None:
    pairs, problem = parse_query(raw)
    assert pairs == () and "does not decode" in problem


def test_a_named_stage_event_is_read_as_the_caller_sent_it() -> None:
    event = http_event(NAMED_STAGE_EVENT)
    event["rawQueryString"] = "b=2&a=1"
    event["headers"]["X-Custom"] = "one"  # a second spelling of a name: joined
    event["headers"]["x-custom"] = "two"
    request = call_request(event)
    assert request.method == "GET" and request.path == "/prod/demo/hello"
    assert request.resource == "/demo/hello" and request.route_path == "/demo/hello"
    assert request.query == (("b", "2"), ("a", "1"))
    assert request.source_ip == "198.51.100.7"  # never X-Forwarded-For
    assert request.gateway_id == "h77pi2xq1z" and request.request_id == "JTHoQgr2oAMEPMg="
    assert request.headers["x-custom"] in ("one,two", "two,one")
    assert request.malformed == ""


def test_the_default_route_is_the_catch_all_and_the_cookies_come_back() -> None:
    request = call_request(http_event())
    assert request.resource == CATCH_ALL and request.route_path == "/demo/hello"
    assert request.headers["cookie"] == "theme=dark; lang=zh"


def test_a_stage_prefix_is_dropped_only_where_it_is_one() -> None:
    event = http_event(NAMED_STAGE_EVENT)
    event["rawPath"] = "/production/x"
    assert call_request(event).route_path == "/production/x"
    event["rawPath"] = "/prod"
    assert call_request(event).route_path == "/"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"version": "3.0"}, "version"),
        ({"rawPath": None}, "rawPath"),
        ({"routeKey": ""}, "routeKey"),
        ({"rawQueryString": ["a"]}, "rawQueryString"),
        ({"rawQueryString": "a=%ff"}, "does not decode"),
        ({"requestContext": None}, "method"),
    ],
)
def test_what_makes_an_event_malformed_is_named(change: dict[str, Any], problem: str) -> None:
    event = http_event(NAMED_STAGE_EVENT) | change
    assert problem in call_request(event).malformed


def test_a_payload_1_0_event_is_read_as_a_rest_event_with_its_default_route() -> None:
    event = http_event(PAYLOAD_1_EVENT)
    request = http_api_request(event)
    assert request.path == "/prod/demo/hello" and request.resource == "/demo/hello"
    event["resource"] = "$default"
    event["requestContext"]["routeKey"] = "$default"
    request = http_api_request(event)
    assert request.resource == CATCH_ALL and request.route_path == "/demo/hello"
