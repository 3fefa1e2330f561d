"""Edges of the decision the verdict table leaves open: exact boundaries, defaults, what a
decision carries besides its verdict, and the server's StringToSign pinned independently."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import signing
from chalicelib.domain import verification as rules
from chalicelib.domain.clock import format_time
from chalicelib.domain.ip_rules import compile_whitelist
from chalicelib.domain.verdicts import SUCCESS

NOW = datetime(2026, 11, 22, 5, 0, 0, tzinfo=UTC)
NOW_TEXT = format_time(NOW)
NOW_MS = int(NOW.timestamp() * 1000)
SECRET = "edge-secret-edge-secret-edge-secret-01"
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
SIGNED_NAMES = "x-ca-timestamp,x-ca-key,x-ca-nonce"


def request_with(
    headers: dict[str, str],
    *,
    method: str = "GET",
    path: str = "/p",
    query: tuple[tuple[str, str], ...] = (),
    repeated_headers: frozenset[str] = frozenset(),
) -> rules.CallRequest:
    return rules.CallRequest(
        method, path, "/p", headers, query, CALLER_IP, "req-1", "gw-p", repeated_headers
    )


def signed_request(**headers: str) -> rules.CallRequest:
    """A signed call over ``headers`` merged into the usual ones (the signature recomputed)."""
    merged = {
        "x-ca-key": KEY.access_key,
        "x-ca-nonce": "nonce-1",
        "x-ca-timestamp": str(NOW_MS),
        "x-ca-signature-headers": SIGNED_NAMES,
        **headers,
    }
    request = request_with(merged)
    signature = signing.compute_signature(rules.string_to_sign(request), SECRET)
    return request._replace(headers={**merged, "x-ca-signature": signature})


def decide(
    request: rules.CallRequest,
    *,
    credentials: rules.Credentials | None = None,
    key: rules.KeyRecord | None = KEY,
    app: rules.AppRecord | None = APP,
    gateway: rules.GatewayRecord | None = GATEWAY,
    form: rules.FormBody | None = None,
) -> rules.Decision:
    if credentials is None:
        found = rules.read_credentials(request)
        assert isinstance(found, rules.Credentials)
        credentials = found
    facts = rules.Facts(credentials, key, app, gateway, ROUTE, [GRANT])
    return rules.decide(request, facts, rules.Clock(NOW, NOW_TEXT, 900), form)


# --- The server's StringToSign, written out by hand rather than computed by the code ---


def test_string_to_sign_follows_the_contract_layout() -> None:
    request = request_with(
        {
            "accept": "application/json",
            "content-type": "text/plain",
            "x-ca-key": "AKEY12345",
            "x-ca-nonce": "n-1",
            "x-ca-timestamp": "1700000000000",
            "x-ca-signature-headers": "X-Ca-Timestamp,x-ca-key,x-ca-nonce",
        },
        method="post",
        path="/prod/orders/7",
        query=(("q", "1"), ("a", "")),
    )
    assert rules.string_to_sign(request, [("f", "2")]) == (
        "POST\napplication/json\n\ntext/plain\n\n"
        "X-Ca-Timestamp:1700000000000\nx-ca-key:AKEY12345\nx-ca-nonce:n-1\n"
        "/prod/orders/7?a&f=2&q=1"
    )


def test_string_to_sign_without_a_signed_header_list_signs_no_header() -> None:
    request = request_with({"x-ca-key": "AKEY12345"})
    assert rules.string_to_sign(request) == "GET\n\n\n\n\n/p"


def test_the_signature_method_defaults_to_hmac_sha256_and_is_trimmed() -> None:
    assert rules.signature_method(request_with({})) == "HmacSHA256"
    assert rules.signature_method(request_with({"x-ca-signature-method": " HmacSHA1 "})) == (
        "HmacSHA1"
    )


def test_a_call_that_names_no_signature_method_verifies_as_hmac_sha256() -> None:
    assert decide(signed_request()).allowed


# --- Credentials ---


def test_signature_credentials_carry_the_trimmed_access_key() -> None:
    request = request_with({"x-ca-key": " AKEY12345 ", "x-ca-signature": "sig"})
    assert rules.read_credentials(request) == rules.Credentials("signature", "AKEY12345")


@pytest.mark.parametrize(
    "headers",
    [{"authorization": "APPCODE abc"}, {"x-ca-key": "k"}, {"x-ca-signature": "s"}],
)
def test_any_one_credential_header_counts_as_credentials_sent(headers: dict[str, str]) -> None:
    assert not rules.sent_no_credentials(request_with(headers))


def test_blank_credential_headers_count_as_none_sent() -> None:
    blank = {"authorization": " ", "x-ca-key": "", "x-ca-signature": "\t"}
    assert rules.sent_no_credentials(request_with(blank))


def test_an_appcode_is_stored_as_its_sha256() -> None:
    # FIPS 180-2's "abc" vector.
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert rules.hash_appcode("abc") == expected


# --- Exact boundaries ---


def test_a_sixteen_digit_timestamp_is_a_time_too_far_off_not_malformed() -> None:
    assert rules.check_timestamp("9" * 16, NOW_MS, 900) == "TIMESTAMP_EXPIRED"


def test_a_nonce_of_exactly_the_maximum_length_is_valid() -> None:
    assert rules.check_nonce("n" * rules.MAX_NONCE_LENGTH) is None
    assert rules.check_nonce("n" * (rules.MAX_NONCE_LENGTH + 1)) == "INVALID_NONCE"


def test_a_grant_expires_at_its_expiry_time() -> None:
    at_now = GRANT._replace(expires_at=NOW_TEXT)
    one_ms_later = GRANT._replace(expires_at="2026-11-22T05:00:00.001Z")
    assert rules.check_grants([at_now], "RELEASE", NOW_TEXT) == ("AUTHORIZATION_EXPIRED", None)
    assert rules.check_grants([one_ms_later], "RELEASE", NOW_TEXT) == (None, one_ms_later)


# --- Which verdict, and what the decision carries ---


def test_an_appcode_whose_app_is_unknown_is_an_invalid_appcode() -> None:
    request = request_with({"authorization": "APPCODE abc"})
    assert decide(request, key=None, app=None).verdict == "INVALID_APPCODE"


def test_a_key_whose_app_is_gone_is_an_invalid_key() -> None:
    assert decide(signed_request(), app=None).verdict == "INVALID_KEY"


def test_an_allowed_appcode_call_consumes_no_nonce() -> None:
    request = request_with({"authorization": "APPCODE abc"})
    decision = decide(request, key=None)
    assert decision.allowed and decision.nonce is None


def test_a_caller_inside_the_whitelist_is_let_through() -> None:
    entries = ("198.51.100.0/24",)
    whitelisted = APP._replace(whitelist=entries, networks=compile_whitelist(entries))
    assert decide(signed_request(), app=whitelisted).allowed
    elsewhere = ("10.0.0.0/8",)
    assert not decide(
        signed_request(),
        app=APP._replace(whitelist=elsewhere, networks=compile_whitelist(elsewhere)),
    ).allowed


def test_a_form_call_left_to_the_body_check_is_not_a_denial() -> None:
    request = signed_request(**{"content-type": signing.FORM_CONTENT_TYPE})
    decision = decide(request, gateway=GATEWAY._replace(checks_bodies=True))
    assert decision.deferred_to_body and decision.verdict == SUCCESS


def test_a_wrong_signature_comes_back_with_the_servers_string_to_sign() -> None:
    request = signed_request()
    request = request._replace(headers={**request.headers, "x-ca-signature": "AAAA"})
    decision = decide(request)
    assert decision.verdict == "INVALID_SIGNATURE"
    assert decision.string_to_sign == rules.string_to_sign(request)
    assert decision.string_to_sign.startswith("GET\n")


# --- Which repeated headers make a signature unverifiable ---


def test_a_repeated_x_ca_header_is_refused_even_when_not_signed() -> None:
    request = signed_request(**{"x-ca-stage": "RELEASE"})._replace(
        repeated_headers=frozenset({"x-ca-stage"})
    )
    decision = decide(request)
    assert decision.verdict == "INVALID_SIGNATURE"
    assert decision.message == "Invalid Signature, header x-ca-stage was sent more than once"


@pytest.mark.parametrize("name", ["x-trace-id", "cookie", "xxxx"])
def test_without_a_signed_header_list_no_other_header_counts_as_signed(name: str) -> None:
    request = request_with({}, repeated_headers=frozenset({name}))
    assert rules.signed_headers_problem(request, rules.signed_header_names(request)) == (
        "Invalid Signature, x-ca-timestamp must be listed in X-Ca-Signature-Headers"
    )
