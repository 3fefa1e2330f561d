"""Every denial, the authorizer's or the body check's, is rendered from one table."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.call_context import CallContext
from chalicelib.http.gateway_responses import (
    ACCESS_DENIED,
    RESPONSES,
    UNAUTHORIZED,
    Denial,
    kind_of,
    render,
)

# CONTRACT.md 3.3: each X-Ca-Error-Code with Alibaba's X-Ca-Error-Message, as written there.
CONTRACT_MESSAGES = {
    "MISSING_CREDENTIALS": "Empty Signature",
    "INVALID_KEY": "Invalid AppKey",
    "INVALID_APPCODE": "Invalid AppCode",
    "KEY_DISABLED": "Unauthorized",
    "APP_DISABLED": "Unauthorized",
    "INVALID_TIMESTAMP": "Invalid Timestamp",
    "TIMESTAMP_EXPIRED": "Timestamp Expired",
    "INVALID_NONCE": "Invalid Nonce",
    "NONCE_USED": "Nonce Used",
    "UNSUPPORTED_SIGNATURE_METHOD": "Invalid Signature Method",
    "FORM_BODY_UNSUPPORTED": "Form Body Unsupported",
    "INVALID_CONTENT_MD5": "Invalid Content-MD5",
    "IP_NOT_ALLOWED": "Unauthorized",
    "KEY_EXPIRED": "Unauthorized",
    "THROTTLED": "Throttled by APP Flow Control",
    "QUOTA_EXHAUSTED": "Quota Exhausted",
    "API_NOT_FOUND": "API Not Found",
    "INVALID_STAGE": "Invalid Stage",
    "NOT_AUTHORIZED": "Unauthorized",
    "AUTHORIZATION_EXPIRED": "Unauthorized",
}


@pytest.mark.parametrize(("code", "message"), sorted(CONTRACT_MESSAGES.items()))
def test_each_denial_carries_alibabas_message_for_its_code(code: str, message: str) -> None:
    denial = Denial.of(code)
    assert (denial.error_code, denial.error_message) == (code, message)


def test_only_a_call_without_any_credentials_is_a_401() -> None:
    assert kind_of("MISSING_CREDENTIALS", sent_credentials=False) == UNAUTHORIZED
    assert kind_of("MISSING_CREDENTIALS", sent_credentials=True) == ACCESS_DENIED
    assert kind_of("INVALID_KEY", sent_credentials=False) == ACCESS_DENIED


def test_a_denial_renders_its_code_message_body_and_the_calls_retry_after() -> None:
    denial = Denial.of("THROTTLED")
    context = denial.context(CallContext(request_id="req-1", retry_after=7))
    assert context["status"] == "403" and "server_time" not in context
    status, headers, body = render(ACCESS_DENIED, context, context["request_id"])
    assert status == 403
    assert headers == {
        "X-Ca-Error-Code": "THROTTLED",
        "X-Ca-Error-Message": "Throttled by APP Flow Control",
        "Retry-After": "7",
        "X-Ca-Request-Id": "req-1",
    }
    assert json.loads(body) == {"code": "THROTTLED", "message": "Throttled by APP Flow Control"}


@pytest.mark.parametrize("verdict", ["TIMESTAMP_EXPIRED", "INVALID_TIMESTAMP"])
def test_a_timestamp_denial_tells_the_servers_time(verdict: str) -> None:
    assert Denial.of(verdict).server_time.isdigit()


def test_the_signature_denial_shows_the_servers_string_to_sign_and_encodes_non_ascii() -> None:
    denial = Denial.of("INVALID_SIGNATURE", "GET\n/é")
    assert denial.error_message == "Invalid Signature, Server StringToSign:GET#/%C3%A9"
    assert Denial.of("DUPLICATE_PARAMETER", message="Duplicate Parameter: a").error_message == (
        "Duplicate Parameter: a"
    )


def test_the_table_reads_only_keys_the_context_or_the_denial_define() -> None:
    keys = set(CallContext._fields) | set(Denial._fields)
    for response in RESPONSES.values():
        for source in [*response.headers.values(), response.body.lstrip("$")]:
            if source.startswith("context.authorizer."):
                assert source.removeprefix("context.authorizer.") in keys
