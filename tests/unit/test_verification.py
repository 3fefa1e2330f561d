"""The pure decision: the verdict matrix (one row per verdict), the order in which checks
decide, what a decision carries besides its verdict, exact boundaries, and the server's
StringToSign pinned by hand. The API and end-to-end suites do not repeat these rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain import signing
from chalicelib.domain import verification as rules
from chalicelib.domain.clock import format_time
from chalicelib.domain.ip_rules import compile_whitelist
from chalicelib.domain.limits import Limit
from chalicelib.domain.objects import App, Authorization, Gateway, KeyPair, Route
from chalicelib.domain.verdicts import SUCCESS

NOW = datetime(2026, 11, 22, 5, 0, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
NOW_TEXT = format_time(NOW)
CLOCK = rules.Clock(NOW, NOW_TEXT, 900)
CALLER_IP = "198.51.100.7"
SECRET = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-123"
KEY = KeyPair(
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
APP = App(
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
GATEWAY = Gateway("gw-p", "acc-p", "", None, False, "", "")
ROUTE = Route("api-1", "acc-p", "orders")
GRANT = Authorization(
    app_id="app-1",
    target="api#api-1",
    authorization_id="",
    provider_account_id="acc-p",
    app_account_id="acc-a",
    api_id="api-1",
    group=None,
    stages=("TEST", "PRE", "RELEASE"),
    expires_at=None,
    limits=(),
    created_at="",
)


def request_with(
    headers: dict[str, str],
    *,
    method: str = "GET",
    path: str = "/p",
    resource: str = "/p",
    query: tuple[tuple[str, str], ...] = (),
    repeated_headers: frozenset[str] = frozenset(),
) -> rules.CallRequest:
    """A call as the authorizer reads it from an event, on the gateway ``gw-p``."""
    return rules.CallRequest(
        method, path, resource, headers, query, CALLER_IP, "req-1", "gw-p", repeated_headers
    )


def signed(**changes: str) -> rules.CallRequest:
    """A correctly signed call, then ``changes`` to its headers ("<drop>" removes one)."""
    headers = {
        "accept": "application/json",
        "x-ca-key": KEY.access_key,
        "x-ca-nonce": "nonce-1",
        "x-ca-timestamp": str(NOW_MS),
        "x-ca-signature-method": "HmacSHA256",
        "x-ca-signature-headers": "x-ca-key,x-ca-nonce,x-ca-timestamp",
    }
    request = request_with(
        headers, path="/prod/orders/7", resource="/orders/{id}", query=(("q", "1"),)
    )
    text = rules.string_to_sign(request)
    headers["x-ca-signature"] = signing.compute_signature(text, SECRET)
    headers.update(changes)
    return request._replace(headers={k: v for k, v in headers.items() if v != "<drop>"})


def resigned(request: rules.CallRequest) -> rules.CallRequest:
    """``request`` signed honestly over what it lists: the signature is right, whatever else."""
    text = rules.string_to_sign(request)
    signature = signing.compute_signature(text, SECRET)
    return request._replace(headers={**request.headers, "x-ca-signature": signature})


def decide(
    request: rules.CallRequest, *, form: rules.FormBody | None = None, **records: object
) -> rules.Decision:
    arguments: dict[str, object] = {
        "key": KEY,
        "app": APP,
        "gateway": GATEWAY,
        "route": ROUTE,
        "grants": [GRANT],
    }
    arguments.update(records)
    credentials = rules.read_credentials(request)
    assert isinstance(credentials, rules.Credentials)
    facts = rules.Facts(credentials, **arguments)  # type: ignore[arg-type]
    return rules.decide(request, facts, CLOCK, form)


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


@pytest.mark.parametrize(
    ("headers", "none_sent"),
    [
        ({}, True),
        ({"authorization": " ", "x-ca-key": "", "x-ca-signature": "\t"}, True),
        ({"authorization": "APPCODE abc"}, False),
        ({"x-ca-key": "k"}, False),
        ({"x-ca-signature": "s"}, False),
    ],
)
def test_no_credentials_at_all_is_told_apart_from_partial_ones(
    headers: dict[str, str], none_sent: bool
) -> None:
    assert rules.sent_no_credentials(request_with(headers)) is none_sent


def test_appcode_credentials_are_read_case_insensitively() -> None:
    request = rules.CallRequest("GET", "/", "/", {"authorization": "appcode abc"}, (), "", "r")
    assert rules.read_credentials(request) == rules.Credentials("appcode", appcode="abc")


def test_signature_credentials_carry_the_trimmed_access_key() -> None:
    request = request_with({"x-ca-key": " AKEY12345 ", "x-ca-signature": "sig"})
    assert rules.read_credentials(request) == rules.Credentials("signature", "AKEY12345")


def test_an_appcode_is_stored_as_its_sha256() -> None:
    # FIPS 180-2's "abc" vector.
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert rules.hash_appcode("abc") == expected


@pytest.mark.parametrize(
    ("request_changes", "records", "verdict"),
    [
        ({}, {"key": None, "app": None}, "INVALID_KEY"),
        ({}, {"app": None}, "INVALID_KEY"),  # a key whose app is gone
        ({}, {"key": KEY._replace(enabled=False)}, "KEY_DISABLED"),
        ({}, {"app": APP._replace(enabled=False)}, "APP_DISABLED"),
        ({"x-ca-timestamp": "<drop>"}, {}, "INVALID_TIMESTAMP"),
        ({"x-ca-timestamp": "12ab"}, {}, "INVALID_TIMESTAMP"),
        ({"x-ca-timestamp": str(NOW_MS - 901_000)}, {}, "TIMESTAMP_EXPIRED"),
        ({"x-ca-timestamp": str(NOW_MS + 901_000)}, {}, "TIMESTAMP_EXPIRED"),
        ({"x-ca-nonce": "<drop>"}, {}, "INVALID_NONCE"),
        ({"x-ca-nonce": "n" * 129}, {}, "INVALID_NONCE"),
        ({}, {"app": APP._replace(whitelist=("10.0.0.0/8",))}, "IP_NOT_ALLOWED"),
        (
            {},
            {
                "app": APP._replace(
                    whitelist=("10.0.0.0/8",), networks=compile_whitelist(["10.0.0.0/8"])
                )
            },
            "IP_NOT_ALLOWED",
        ),
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
    request_changes: dict[str, str], records: dict[str, Any], verdict: str
) -> None:
    decision = decide(signed(**request_changes), **records)
    assert decision.verdict == verdict
    # A call refused before its signature verified leaves its nonce unused; after, it is used.
    assert decision.nonce == ("nonce-1" if verdict in VERIFIED_BEFORE else None)


VERIFIED_BEFORE = {"API_NOT_FOUND", "INVALID_STAGE", "NOT_AUTHORIZED", "AUTHORIZATION_EXPIRED"}


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


FORM = {"content-type": "application/x-www-form-urlencoded"}


def signed_form(params: tuple[tuple[str, str], ...], **changes: str) -> rules.CallRequest:
    """A form-bodied call signed over its query and form parameters."""
    request = signed(**FORM)
    text = rules.string_to_sign(request, params)
    return request._replace(
        headers={**request.headers, "x-ca-signature": signing.compute_signature(text, SECRET)}
        | changes
    )


def test_a_form_body_on_another_gateway_is_refused_whatever_its_signature() -> None:
    for request in (signed(**FORM), signed(**FORM, **{"x-ca-signature": "garbage"})):
        decision = decide(request)
        assert decision.verdict == "FORM_BODY_UNSUPPORTED" and decision.nonce is None


def test_a_form_body_on_this_deployments_gateway_is_left_to_the_body_check() -> None:
    own = GATEWAY._replace(checks_bodies=True)
    decision = decide(signed(**FORM, **{"x-ca-signature": "garbage"}), gateway=own)
    assert decision.deferred_to_body and decision.nonce is None
    assert decision.verdict == SUCCESS  # not a denial: the body check decides


def test_a_form_body_where_the_body_is_is_verified_over_its_parameters() -> None:
    params = (("f", "1"), ("g", "名"))
    own = GATEWAY._replace(checks_bodies=True)
    request = signed_form(params)
    decision = decide(request, form=rules.FormBody(params), gateway=own)
    assert decision.allowed and decision.nonce == "nonce-1" and not decision.deferred_to_body
    tampered = rules.FormBody((("f", "2"), ("g", "名")))
    assert decide(request, form=tampered, gateway=own).verdict == "INVALID_SIGNATURE"
    unreadable = rules.FormBody(problem="Invalid Signature, unsupported charset")
    refused = decide(request, form=unreadable, gateway=own)
    assert refused.verdict == "INVALID_SIGNATURE" and "charset" in refused.message


def test_a_garbage_signature_never_reaches_the_later_verdicts() -> None:
    garbage = {"x-ca-signature": "garbage", "x-ca-stage": "NOPE"}
    cases: list[dict[str, Any]] = [{"route": None}, {"grants": []}, {"gateway": None}, {}]
    for records in cases:
        assert decide(signed(**garbage), **records).verdict == "INVALID_SIGNATURE"


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ((("q", "1"), ("q", "2")), None),
        ((("q", "1"),), rules.FormBody((("q", "2"),))),
    ],
)
def test_a_parameter_with_two_values_is_refused_by_name(
    query: tuple[tuple[str, str], ...], form: rules.FormBody | None
) -> None:
    decision = decide(signed()._replace(query=query), form=form)
    assert decision.verdict == "DUPLICATE_PARAMETER"
    assert decision.message == "Duplicate Parameter: q"


def test_a_parameter_repeated_with_the_same_value_verifies() -> None:
    assert decide(signed()._replace(query=(("q", "1"), ("q", "1")))).allowed


@pytest.mark.parametrize(
    ("listed", "missing"),
    [
        ("x-ca-key,x-ca-nonce", "x-ca-timestamp"),
        ("x-ca-key,x-ca-timestamp", "x-ca-nonce"),
        ("", "x-ca-timestamp"),
    ],
)
def test_a_signature_must_cover_the_timestamp_and_the_nonce(listed: str, missing: str) -> None:
    # Signed honestly over what is listed: the signature is right, the coverage is not.
    decision = decide(resigned(signed(**{"x-ca-signature-headers": listed})))
    assert decision.verdict == "INVALID_SIGNATURE" and decision.nonce is None
    assert missing in decision.message


@pytest.mark.parametrize(
    "name", ["x-ca-nonce", "x-ca-key", "content-type", "content-md5", "date", "x-ca-stage"]
)
def test_a_repeated_signature_header_is_refused_by_name(name: str) -> None:
    # Any X-Ca-* header counts, signed or not (x-ca-stage is not in the signed list).
    decision = decide(
        signed(**{"x-ca-stage": "RELEASE"})._replace(repeated_headers=frozenset({name}))
    )
    assert decision.verdict == "INVALID_SIGNATURE"
    assert decision.message == f"Invalid Signature, header {name} was sent more than once"


def test_a_repeated_header_the_signature_does_not_use_is_fine() -> None:
    assert decide(signed()._replace(repeated_headers=frozenset({"x-other"}))).allowed


def test_a_signed_value_over_the_cap_is_refused_not_cut() -> None:
    long_value = "v" * (rules.MAX_SIGNED_VALUE + 1)
    request = signed(**{"x-ca-signature-headers": "x-ca-key,x-ca-nonce,x-ca-timestamp,x-long"})
    request = resigned(request._replace(headers={**request.headers, "x-long": long_value}))
    decision = decide(request)
    assert decision.verdict == "INVALID_SIGNATURE" and "x-long" in decision.message
    at_cap = {**request.headers, "x-long": "v" * rules.MAX_SIGNED_VALUE}
    assert decide(resigned(request._replace(headers=at_cap))).allowed


@pytest.mark.parametrize(
    "records",
    [
        {"gateway": None},
        {"route": None},
        {"gateway": GATEWAY._replace(account_id="acc-other")},
    ],
)
def test_a_route_counts_only_on_a_gateway_of_the_account_that_registered_it(
    records: dict[str, Any],
) -> None:
    assert decide(signed(), **records).verdict == "API_NOT_FOUND"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("AKEY1234", True),
        ("a" * 32, True),
        ("short7x", False),
        ("a" * 33, False),
        ("AKEY-1234", False),
        ("AKEY 1234", False),
        ("ＡＫＥＹ１２３４", False),
        ("x" * 3000, False),
    ],
)
def test_is_access_key(value: str, expected: bool) -> None:
    assert rules.is_access_key(value) is expected


@pytest.mark.parametrize(
    "value",
    [
        "²",
        "1²",
        "١٢٣",
        "１２３",
        "-1",
        "1e3",
        "1.7e12",
        " ",
        "",
        "not-a-number",
        "12345678901234567",
    ],
)
def test_a_timestamp_is_ascii_digits_only(value: str) -> None:
    assert rules.check_timestamp(value, NOW_MS, 900) == "INVALID_TIMESTAMP"


def test_a_sixteen_digit_timestamp_is_a_time_too_far_off_not_malformed() -> None:
    assert rules.check_timestamp("9" * 16, NOW_MS, 900) == "TIMESTAMP_EXPIRED"


def test_the_timestamp_window_is_inclusive_at_the_tolerance() -> None:
    assert rules.check_timestamp(str(NOW_MS - 900_000), NOW_MS, 900) is None
    assert rules.check_timestamp(str(NOW_MS + 900_000), NOW_MS, 900) is None
    assert rules.check_timestamp(str(NOW_MS - 900_001), NOW_MS, 900) == "TIMESTAMP_EXPIRED"
    assert rules.check_timestamp(str(NOW_MS + 900_001), NOW_MS, 900) == "TIMESTAMP_EXPIRED"


def test_a_nonce_of_exactly_the_maximum_length_is_valid() -> None:
    assert rules.check_nonce("n" * rules.MAX_NONCE_LENGTH) is None
    assert rules.check_nonce("n" * (rules.MAX_NONCE_LENGTH + 1)) == "INVALID_NONCE"


def test_a_grant_expires_at_its_expiry_time() -> None:
    at_now = GRANT._replace(expires_at=NOW_TEXT)
    one_ms_later = GRANT._replace(expires_at="2026-11-22T05:00:00.001Z")
    assert rules.check_grants([at_now], "RELEASE", NOW_TEXT) == ("AUTHORIZATION_EXPIRED", None)
    assert rules.check_grants([one_ms_later], "RELEASE", NOW_TEXT) == (None, one_ms_later)


def test_routes_try_the_exact_method_then_any() -> None:
    request = signed()
    assert request.routes == ("gw-p GET /orders/{id}", "gw-p ANY /orders/{id}")


def test_grant_targets_cover_api_group_and_all() -> None:
    assert sorted(rules.grant_targets("app-1", ROUTE)) == [
        "all#acc-p",
        "api#api-1",
        "group#acc-p#orders",
    ]
    assert "group" not in "".join(rules.grant_targets("app-1", ROUTE._replace(group=None)))


# -- issue 12: expiry, a rotation's grace, the authorization whose limits count --------------


def test_a_key_past_its_expiry_is_key_expired_before_anything_else_is_checked() -> None:
    expired = KEY._replace(expires_at=format_time(NOW))
    garbage = signed(**{"x-ca-timestamp": "0", "x-ca-signature": "AAAA"})
    assert decide(garbage, key=expired).verdict == "KEY_EXPIRED"
    assert (
        decide(
            signed(), key=KEY._replace(enabled=False, expires_at="2000-01-01T00:00:00.000Z")
        ).verdict
        == "KEY_DISABLED"
    )
    still = KEY._replace(expires_at="2026-11-22T05:00:00.001Z")
    assert decide(signed(), key=still).allowed


def test_an_appcode_past_its_expiry_is_key_expired() -> None:
    request = rules.CallRequest(
        "GET",
        "/prod/orders/7",
        "/orders/{id}",
        {"authorization": "APPCODE c"},
        (),
        "198.51.100.7",
        "r",
        "gw-p",
    )
    credentials = rules.read_credentials(request)
    assert isinstance(credentials, rules.Credentials)

    def verdict(expires_at: str | None) -> str:
        facts = rules.Facts(credentials, None, APP, GATEWAY, ROUTE, [GRANT], expires_at)
        return rules.decide(request, facts, CLOCK).verdict

    assert verdict(format_time(NOW)) == "KEY_EXPIRED"
    assert verdict("2026-11-22T05:00:01.000Z") == "success"
    assert verdict(None) == "success"


def test_the_previous_secret_verifies_only_during_its_grace() -> None:
    rotated = KEY._replace(secret="the-new-secret-the-new-secret-123", previous_secret=SECRET)
    during = rotated._replace(previous_secret_expires_at="2026-11-22T05:00:00.001Z")
    decision = decide(signed(), key=during)
    assert decision.allowed and decision.secret_used == "previous"
    after = rotated._replace(previous_secret_expires_at=format_time(NOW))
    assert decide(signed(), key=after).verdict == "INVALID_SIGNATURE"
    assert decide(signed(), key=rotated).verdict == "INVALID_SIGNATURE"  # no expiry: no grace
    assert decide(signed()).secret_used == "current"


def test_the_most_specific_live_authorization_allows_the_call() -> None:
    limits = (Limit("per_minute", 1),)
    by_api = GRANT._replace(authorization_id="a-api", limits=limits)
    by_group = GRANT._replace(target="group#acc-p#orders", authorization_id="a-group")
    by_all = GRANT._replace(target="all#acc-p", authorization_id="a-all")
    for grants in ([by_all, by_group, by_api], [by_api, by_all], [by_group, by_api]):
        assert decide(signed(), grants=grants).grant == by_api
    assert decide(signed(), grants=[by_all, by_group]).grant == by_group
    expired_api = by_api._replace(expires_at="2020-01-01T00:00:00.000Z")
    assert decide(signed(), grants=[expired_api, by_all]).grant == by_all
    assert decide(signed(**{"x-ca-stage": "NOPE"})).grant is None


# -- the server's StringToSign, written out by hand rather than computed by the code ---------


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


def test_string_to_sign_covers_the_names_it_is_given_not_the_header_list() -> None:
    request = request_with(
        {"x-ca-key": "AKEY12345", "x-ca-nonce": "n-1", "x-ca-signature-headers": "x-ca-key"}
    )
    assert rules.string_to_sign(request, (), ["x-ca-nonce"]) == "GET\n\n\n\n\nx-ca-nonce:n-1\n/p"
    assert rules.string_to_sign(request, (), []) == "GET\n\n\n\n\n/p"


def test_the_signature_method_defaults_to_hmac_sha256_and_is_trimmed() -> None:
    assert rules.signature_method(request_with({})) == "HmacSHA256"
    trimmed = request_with({"x-ca-signature-method": " HmacSHA1 "})
    assert rules.signature_method(trimmed) == "HmacSHA1"


def test_a_call_that_names_no_signature_method_verifies_as_hmac_sha256() -> None:
    assert decide(signed(**{"x-ca-signature-method": "<drop>"})).allowed


def test_a_wrong_signature_comes_back_with_the_servers_string_to_sign() -> None:
    request = signed(**{"x-ca-signature": "AAAA"})
    decision = decide(request)
    assert decision.verdict == "INVALID_SIGNATURE"
    assert decision.string_to_sign == rules.string_to_sign(request)
    assert decision.string_to_sign.startswith("GET\n")


@pytest.mark.parametrize("name", ["x-trace-id", "cookie", "xxxx"])
def test_without_a_signed_header_list_no_other_header_counts_as_signed(name: str) -> None:
    request = request_with({}, repeated_headers=frozenset({name}))
    assert rules.signed_headers_problem(request, rules.signed_header_names(request)) == (
        "Invalid Signature, x-ca-timestamp must be listed in X-Ca-Signature-Headers"
    )


# -- AppCode calls and whitelists ------------------------------------------------------------


def test_an_appcode_whose_app_is_unknown_is_an_invalid_appcode() -> None:
    request = request_with({"authorization": "APPCODE abc"})
    assert decide(request, key=None, app=None).verdict == "INVALID_APPCODE"


def test_an_allowed_appcode_call_consumes_no_nonce_and_names_no_secret() -> None:
    decision = decide(request_with({"authorization": "APPCODE abc"}), key=None)
    assert decision.allowed and decision.nonce is None and decision.secret_used == ""


@pytest.mark.parametrize("precompiled", [False, True], ids=["compiled-per-call", "precompiled"])
def test_a_caller_inside_the_whitelist_is_let_through(precompiled: bool) -> None:
    whitelist = ("203.0.113.0/24", "198.51.100.0/24")
    app = APP._replace(
        whitelist=whitelist, networks=compile_whitelist(whitelist) if precompiled else ()
    )
    assert decide(signed(), app=app).allowed


# -- issue 21: a key pair's own grants and whitelist -------------------------------------------

OWN_KEY = KEY._replace(key_id="kp-1")
KEY_GRANT = GRANT._replace(target="key#kp-1#api#api-1", key_id="kp-1", authorization_id="a-key")
APPCODE_CALL = {"authorization": "APPCODE abc"}


@pytest.mark.parametrize(
    ("request_headers", "records", "verdict"),
    [
        (None, {"key": OWN_KEY, "grants": [KEY_GRANT]}, SUCCESS),
        # Another pair of the same app: the grant is not its own.
        (None, {"key": KEY._replace(key_id="kp-2"), "grants": [KEY_GRANT]}, "NOT_AUTHORIZED"),
        # The app's AppCodes: never under a key pair's grant.
        (APPCODE_CALL, {"key": None, "grants": [KEY_GRANT]}, "NOT_AUTHORIZED"),
        (
            None,
            {"key": OWN_KEY, "grants": [KEY_GRANT._replace(stages=("TEST",))]},
            "NOT_AUTHORIZED",
        ),
        (
            None,
            {"key": OWN_KEY, "grants": [KEY_GRANT._replace(expires_at="2020-01-01T00:00:00Z")]},
            "AUTHORIZATION_EXPIRED",
        ),
        # The pair's own whitelist refuses what the app's allows.
        (None, {"key": OWN_KEY._replace(whitelist=("10.0.0.0/8",))}, "IP_NOT_ALLOWED"),
        (
            None,
            {
                "key": OWN_KEY._replace(
                    whitelist=("10.0.0.0/8",), networks=compile_whitelist(["10.0.0.0/8"])
                ),
                "app": APP._replace(whitelist=("198.51.100.0/24",)),
            },
            "IP_NOT_ALLOWED",
        ),
        (None, {"key": OWN_KEY._replace(whitelist=("198.51.100.0/24",))}, SUCCESS),
        # A legacy pair (no key_id): its identity is its access key.
        (
            None,
            {"grants": [KEY_GRANT._replace(target="key#AKEY12345#api#api-1", key_id="AKEY12345")]},
            SUCCESS,
        ),
    ],
)
def test_each_key_scoped_verdict(
    request_headers: dict[str, str] | None, records: dict[str, Any], verdict: str
) -> None:
    request = signed() if request_headers is None else request_with(request_headers)
    assert decide(request, **records).verdict == verdict


def test_a_key_pairs_own_grant_comes_before_the_apps_at_the_same_reach() -> None:
    by_app = GRANT._replace(authorization_id="a-app")
    key_group = KEY_GRANT._replace(target="key#kp-1#group#acc-p#orders", api_id=None)
    assert decide(signed(), key=OWN_KEY, grants=[by_app, KEY_GRANT]).grant == KEY_GRANT
    # An API is still more specific than a group, whoever holds the group grant.
    assert decide(signed(), key=OWN_KEY, grants=[key_group, by_app]).grant == by_app
    assert KEY_GRANT.covers == "api#api-1" and not KEY_GRANT.all_apis


def test_grant_targets_add_the_key_pairs_own_for_a_signed_call() -> None:
    targets = rules.grant_targets("app-1", ROUTE, "kp-1")
    assert sorted(targets) == [
        "all#acc-p",
        "api#api-1",
        "group#acc-p#orders",
        "key#kp-1#all#acc-p",
        "key#kp-1#api#api-1",
        "key#kp-1#group#acc-p#orders",
    ]
