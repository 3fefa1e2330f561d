"""Decision edges left open elsewhere: a whitelisted caller with and without precompiled
networks, what an AppCode decision says of secrets, and StringToSign over given names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import signing
from chalicelib.domain import verification as rules
from chalicelib.domain.clock import format_time
from chalicelib.domain.ip_rules import compile_whitelist

NOW = datetime(2026, 11, 22, 5, 0, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
SECRET = "decide-edge-secret-decide-edge-secret"
KEY = rules.KeyRecord(
    access_key="AKEY12345",
    app_id="app-1",
    account_id="acc-a",
    name="",
    enabled=True,
    is_default=True,
    created_at="",
    updated_at="",
    secret_sealed=b"",
    data_key_sealed=b"",
    secret=SECRET,
)
APP = rules.AppRecord(
    app_id="app-1",
    account_id="acc-a",
    name="",
    description="",
    tags={},
    extension={},
    enabled=True,
    whitelist=(),
    default_access_key="AKEY12345",
    created_at="",
    updated_at="",
)
GATEWAY = rules.GatewayRecord("gw-p", "acc-p", "", None, False, "", "")
ROUTE = rules.RouteRecord("api-1", "acc-p", None)
GRANT = rules.Grant(
    app_id="app-1",
    target="api#api-1",
    authorization_id="",
    provider_account_id="acc-p",
    app_account_id="acc-a",
    api_id="api-1",
    group=None,
    stages=("RELEASE",),
    expires_at=None,
    limits=(),
    created_at="",
)
CALLER_IP = "198.51.100.7"


def request_with(headers: dict[str, str]) -> rules.CallRequest:
    return rules.CallRequest("GET", "/p", "/p", headers, (), CALLER_IP, "req-1", "gw-p")


def signed_request() -> rules.CallRequest:
    headers = {
        "x-ca-key": KEY.access_key,
        "x-ca-nonce": "nonce-1",
        "x-ca-timestamp": str(NOW_MS),
        "x-ca-signature-headers": "x-ca-timestamp,x-ca-key,x-ca-nonce",
    }
    signature = signing.compute_signature(rules.string_to_sign(request_with(headers)), SECRET)
    return request_with({**headers, "x-ca-signature": signature})


def decide(
    request: rules.CallRequest, *, key: rules.KeyRecord | None = KEY, app: rules.AppRecord = APP
) -> rules.Decision:
    credentials = rules.read_credentials(request)
    assert isinstance(credentials, rules.Credentials)
    facts = rules.Facts(credentials, key, app, GATEWAY, ROUTE, [GRANT])
    return rules.decide(request, facts, rules.Clock(NOW, format_time(NOW), 900))


@pytest.mark.parametrize("precompiled", [False, True], ids=["compiled-per-call", "precompiled"])
def test_a_caller_inside_a_whitelist_is_let_through_whether_or_not_it_was_precompiled(
    precompiled: bool,
) -> None:
    whitelist = ("203.0.113.0/24", "198.51.100.0/24")
    app = APP._replace(
        whitelist=whitelist, networks=compile_whitelist(whitelist) if precompiled else ()
    )
    assert decide(signed_request(), app=app).allowed


def test_an_allowed_appcode_call_names_no_secret_used() -> None:
    decision = decide(request_with({"authorization": "APPCODE abc"}), key=None)
    assert decision.allowed and decision.secret_used == ""


def test_string_to_sign_covers_the_names_it_is_given_not_the_header_list() -> None:
    request = request_with(
        {"x-ca-key": "AKEY12345", "x-ca-nonce": "n-1", "x-ca-signature-headers": "x-ca-key"}
    )
    assert rules.string_to_sign(request, (), ["x-ca-nonce"]) == "GET\n\n\n\n\nx-ca-nonce:n-1\n/p"
    assert rules.string_to_sign(request, (), []) == "GET\n\n\n\n\n/p"
