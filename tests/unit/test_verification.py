"""The pure decision: one test per verdict, and the order in which checks decide."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import signing
from chalicelib.domain import verification as rules
from chalicelib.domain.clock import format_time

NOW = datetime(2026, 11, 22, 5, 0, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
SECRET = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-123"
KEY = rules.KeyRecord("AKEY12345", "app-1", "acc-a", True, SECRET)
APP = rules.AppRecord("app-1", "acc-a", True, (), "{}")
ROUTE = rules.RouteRecord("api-1", "acc-p", "orders")
GRANT = rules.Grant("api#api-1", ("TEST", "PRE", "RELEASE"), None)


def signed(**changes: str) -> rules.CallRequest:
    headers = {
        "accept": "application/json",
        "x-ca-key": KEY.access_key,
        "x-ca-nonce": "nonce-1",
        "x-ca-timestamp": str(NOW_MS),
        "x-ca-signature-method": "HmacSHA256",
        "x-ca-signature-headers": "x-ca-key,x-ca-nonce,x-ca-timestamp",
    }
    request = rules.CallRequest(
        "GET", "/orders/7", "/orders/{id}", headers, (("q", "1"),), "198.51.100.7", "req-1"
    )
    text = rules.string_to_sign(request)
    headers["x-ca-signature"] = signing.compute_signature(text, SECRET)
    headers.update(changes)
    return request._replace(headers={k: v for k, v in headers.items() if v != "<drop>"})


def decide(request: rules.CallRequest, **records: object) -> rules.Decision:
    arguments: dict[str, object] = {"key": KEY, "app": APP, "route": ROUTE, "grants": [GRANT]}
    arguments.update(records)
    credentials = rules.read_credentials(request)
    assert isinstance(credentials, rules.Credentials)
    return rules.decide(
        request,
        credentials,
        arguments["key"],  # type: ignore[arg-type]
        arguments["app"],  # type: ignore[arg-type]
        arguments["route"],  # type: ignore[arg-type]
        arguments["grants"],  # type: ignore[arg-type]
        NOW,
        format_time(NOW),
        900,
    )


def test_a_correctly_signed_authorized_call_succeeds_and_consumes_its_nonce() -> None:
    decision = decide(signed())
    assert decision.allowed and decision.nonce == "nonce-1"


@pytest.mark.parametrize(
    ("headers", "verdict"),
    [
        ({}, "MISSING_CREDENTIALS"),
        ({"x-ca-key": "k"}, "MISSING_CREDENTIALS"),
        ({"x-ca-signature": "s"}, "MISSING_CREDENTIALS"),
        ({"authorization": "APPCODE "}, "INVALID_APPCODE"),
    ],
)
def test_incomplete_credentials(headers: dict[str, str], verdict: str) -> None:
    request = rules.CallRequest("GET", "/", "/", headers, (), "1.2.3.4", "r")
    assert rules.read_credentials(request) == verdict


def test_no_credentials_at_all_is_told_apart_from_partial_ones() -> None:
    assert rules.sent_no_credentials(rules.CallRequest("GET", "/", "/", {}, (), "", "r"))
    partial = rules.CallRequest("GET", "/", "/", {"x-ca-key": "k"}, (), "", "r")
    assert not rules.sent_no_credentials(partial)


def test_appcode_credentials_are_read_case_insensitively() -> None:
    request = rules.CallRequest("GET", "/", "/", {"authorization": "appcode abc"}, (), "", "r")
    assert rules.read_credentials(request) == rules.Credentials("appcode", appcode="abc")


@pytest.mark.parametrize(
    ("request_changes", "records", "verdict"),
    [
        ({}, {"key": None, "app": None}, "INVALID_KEY"),
        ({}, {"key": KEY._replace(enabled=False)}, "KEY_DISABLED"),
        ({}, {"app": APP._replace(enabled=False)}, "APP_DISABLED"),
        ({"x-ca-timestamp": "<drop>"}, {}, "INVALID_TIMESTAMP"),
        ({"x-ca-timestamp": "12ab"}, {}, "INVALID_TIMESTAMP"),
        ({"x-ca-timestamp": str(NOW_MS - 901_000)}, {}, "TIMESTAMP_EXPIRED"),
        ({"x-ca-timestamp": str(NOW_MS + 901_000)}, {}, "TIMESTAMP_EXPIRED"),
        ({"x-ca-nonce": "<drop>"}, {}, "INVALID_NONCE"),
        ({"x-ca-nonce": "n" * 129}, {}, "INVALID_NONCE"),
        ({}, {"app": APP._replace(whitelist=("10.0.0.0/8",))}, "IP_NOT_ALLOWED"),
        ({"x-ca-signature-method": "HmacMD5"}, {}, "UNSUPPORTED_SIGNATURE_METHOD"),
        ({"x-ca-signature": "AAAA"}, {}, "INVALID_SIGNATURE"),
        ({"x-ca-signature-method": "HmacSHA1"}, {}, "INVALID_SIGNATURE"),
        ({}, {"route": None}, "API_NOT_FOUND"),
        ({"x-ca-stage": "PROD"}, {}, "INVALID_STAGE"),
        ({}, {"grants": []}, "NOT_AUTHORIZED"),
        (
            {"x-ca-stage": "TEST"},
            {"grants": [GRANT._replace(stages=("RELEASE",))]},
            "NOT_AUTHORIZED",
        ),
        (
            {},
            {"grants": [GRANT._replace(expires_at="2026-11-22T04:59:59.999Z")]},
            "AUTHORIZATION_EXPIRED",
        ),
    ],
)
def test_each_verdict(
    request_changes: dict[str, str], records: dict[str, object], verdict: str
) -> None:
    assert decide(signed(**request_changes), **records).verdict == verdict


def test_the_first_failing_check_decides() -> None:
    everything_wrong = signed(**{"x-ca-timestamp": "0", "x-ca-signature": "AAAA"})
    disabled = KEY._replace(enabled=False)
    assert decide(everything_wrong, key=disabled, route=None).verdict == "KEY_DISABLED"
    assert decide(everything_wrong, route=None).verdict == "TIMESTAMP_EXPIRED"
    assert decide(signed(**{"x-ca-signature": "AAAA"}), route=None).verdict == "INVALID_SIGNATURE"


def test_nonce_is_consumed_only_after_the_signature_verified() -> None:
    assert decide(signed(**{"x-ca-signature": "AAAA"})).nonce is None
    after = decide(signed(**{"x-ca-stage": "NOPE"}))
    assert after.verdict == "INVALID_STAGE" and after.nonce == "nonce-1"


def test_one_valid_grant_among_expired_ones_is_enough() -> None:
    expired = GRANT._replace(expires_at="2020-01-01T00:00:00.000Z")
    live = GRANT._replace(target="group#acc-p#orders", expires_at="2027-01-01T00:00:00.000Z")
    assert decide(signed(), grants=[expired, live]).allowed


def test_form_calls_leave_the_signature_to_the_body_check() -> None:
    decision = decide(signed(**{"content-type": "application/x-www-form-urlencoded"}))
    assert decision.allowed and decision.body_check == "form" and decision.nonce is None


def test_grant_targets_cover_api_group_and_all() -> None:
    assert sorted(rules.grant_targets("app-1", ROUTE)) == [
        "all#acc-p",
        "api#api-1",
        "group#acc-p#orders",
    ]
    assert "group" not in "".join(rules.grant_targets("app-1", ROUTE._replace(group=None)))
