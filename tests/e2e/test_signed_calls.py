"""CONTRACT 3.3 end to end: the real Alibaba client against the local run.

What only real clients and real bodies show: what the client signs verifies (HMAC-SHA256 and
-SHA1, queries, forms, JSON with Content-MD5, AppCode), the answers' status, headers and body
over HTTP, bodies tampered with after signing, the real caller's address, and the admin API's
changes taking effect at once. The verdict of each check is tests/unit/test_verification.py's;
the events and answers of each, tests/api/test_request_authorizer.py's.

Every test runs against the local run twice: as a REST API and as an HTTP API
(``APIAUTH_LOCAL_GATEWAY=http``), where a denial is 403 ``{"message":"Forbidden"}`` and its verdict
is read from the record found by its ``apigw-requestid``. Form bodies are refused on HTTP APIs
(``FORM_BODY_UNSUPPORTED``, tests/e2e/test_http_api_local.py): those tests run on REST only.

Each test makes its own app (authorized for the group ``demo``) so no test sees another's
nonces, keys or grants. Requests the client refuses to build are signed properly and then
tampered with on the way out.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from dataclasses import replace

import pytest
from aliyun_api_gateway import HMAC_SHA1, ApiGatewayRequest, ApiGatewayResponse, SignedRequest

from tests.support.clock import clear_of_minute_end
from tests.support.local_server import RUNS, LocalRun, TestApp, send

pytestmark = pytest.mark.e2e

HELLO = "/demo/hello"
ECHO = "/demo/echo"
GATEWAY_ID_HEADER = "apigw-requestid"
rest_only = pytest.mark.rest_only  # form bodies, REST's gateway responses


@pytest.fixture(scope="module", params=["rest", "http"])
def local(request: pytest.FixtureRequest, local_rest: LocalRun) -> LocalRun:
    """The session's local run (REST), then the one presenting itself as an HTTP API."""
    if request.param == "http":
        return request.getfixturevalue("local_http")  # type: ignore[no-any-return]
    return local_rest


@pytest.fixture(autouse=True)
def _rest_only(request: pytest.FixtureRequest, local: LocalRun) -> None:
    if request.node.get_closest_marker("rest_only") and local.gateway == "http":
        pytest.skip("HTTP APIs refuse form bodies and show no gateway responses")


def _record_result(response: ApiGatewayResponse, request_id: str) -> str:
    """The verdict an HTTP API does not show: its record's, found by ``apigw-requestid``."""
    run = next(run for run in RUNS if response.url.startswith(run.base_url + "/"))
    items = run.ok(run.get("/v1/call-records?limit=200"))["items"]
    return str(next(item["result"] for item in items if item["request_id"] == request_id))


def verdict_of(response: ApiGatewayResponse) -> str | None:
    """The error code a denied call got (None if allowed), on either kind of gateway."""
    code = response.get_header("X-Ca-Error-Code")
    request_id = response.get_header(GATEWAY_ID_HEADER)
    if code is not None or request_id is None or response.status == 200:
        return code  # a REST API's answer, or the backend's own (the body check)
    assert (response.status, response.json()) == (403, {"message": "Forbidden"}), response.body
    return _record_result(response, request_id)


def shows_gateway_responses(response: ApiGatewayResponse) -> bool:
    """REST: the authorizer's denial shows its code, message and extra headers to the caller."""
    return response.get_header(GATEWAY_ID_HEADER) is None


@pytest.fixture
def app(local: LocalRun) -> TestApp:
    return local.new_app()


def unsigned(local: LocalRun, path: str, headers: dict[str, str]) -> ApiGatewayResponse:
    """A request without a signature (no credentials, or AppCode)."""
    request = SignedRequest(
        method="GET",
        url=local.base_url + path,
        headers=headers,
        body=None,
        canonical_resource=path,
        string_to_sign="",
    )
    return send(request)


def assert_allowed(response: ApiGatewayResponse) -> dict[str, str]:
    assert response.status == 200, (response.status, response.headers, response.body)
    assert response.get_header("X-Ca-Error-Code") is None
    request_id = response.get_header("X-Ca-Request-Id")
    assert request_id, response.headers
    context: dict[str, str] = response.json()["context"]
    assert context["request_id"] == request_id
    assert response.get_header(GATEWAY_ID_HEADER) in (None, request_id)
    return context


def assert_denied(response: ApiGatewayResponse, code: str, message: str, status: int = 403) -> None:
    if response.get_header(GATEWAY_ID_HEADER) and response.get_header("X-Ca-Error-Code") is None:
        # An HTTP API: 403 Forbidden whatever the verdict (401 included); the record tells.
        assert verdict_of(response) == code
        return
    assert (response.status, response.get_header("X-Ca-Error-Code")) == (status, code), (
        response.status,
        response.headers,
        response.body,
    )
    assert response.get_header("X-Ca-Error-Message") == message
    assert response.get_header("X-Ca-Request-Id"), response.headers
    assert response.json() == {"code": code, "message": message}


def hello(local: LocalRun, app: TestApp, query: dict[str, str] | None = None) -> SignedRequest:
    return local.client(app).sign(ApiGatewayRequest("GET", HELLO, query=query))


# -- allowed ----------------------------------------------------------------------------------


def test_allowed_get_signs_repeated_empty_and_non_ascii_query_values(
    local: LocalRun, app: TestApp
) -> None:
    query = [("b", "2"), ("a", "1"), ("a", "1"), ("empty", ""), ("名字", "值 ü&=?")]
    response = local.client(app).request("GET", HELLO, query=query)
    context = assert_allowed(response)
    assert response.json()["message"] == "hello"
    assert (context["app_id"], context["access_key"]) == (app.app_id, app.access_key)
    assert context["api_id"] == local.api_id("demo-hello")


@rest_only
def test_allowed_form_post_is_signed_through_its_parameters(local: LocalRun, app: TestApp) -> None:
    form = [("name", "值"), ("empty", ""), ("x", "1"), ("x", "1")]
    response = local.client(app).request("POST", ECHO, query={"q": "1"}, form=form)
    assert_allowed(response)
    assert response.json()["body"] == urllib.parse.urlencode(form)


def test_allowed_json_post_with_content_md5_echoes_the_app_context(local: LocalRun) -> None:
    extension = {"tier": "gold", "地区": "杭州"}
    app = local.new_app(extension=extension)
    payload = {"order": 42, "note": "ünïcode"}
    signed = local.client(app).sign(ApiGatewayRequest("POST", ECHO, json_body=payload))
    assert signed.headers["Content-MD5"]
    response = send(signed)
    context = assert_allowed(response)
    assert json.loads(response.json()["body"]) == payload
    assert {k: v for k, v in context.items() if k != "request_id"} == {
        "app_id": app.app_id,
        "access_key": app.access_key,
        "auth_method": "signature",
        "account_id": "default",
        "provider_account_id": "default",
        "api_id": local.api_id("demo-echo"),
        "stage": "RELEASE",
        "extension": context["extension"],
        "content_md5": signed.headers["Content-MD5"],
        "secret": "current",
    }
    assert isinstance(context["extension"], str)
    assert json.loads(context["extension"]) == extension


def test_allowed_call_signed_with_hmac_sha1(local: LocalRun, app: TestApp) -> None:
    client = local.client(app, signature_method=HMAC_SHA1)
    signed = client.sign(ApiGatewayRequest("GET", HELLO, query={"a": "b"}))
    assert signed.headers["X-Ca-Signature-Method"] == "HmacSHA1"
    assert_allowed(send(signed))


# -- credentials and key ----------------------------------------------------------------------


def test_no_credentials_is_a_401_missing_credentials(local: LocalRun) -> None:
    response = unsigned(local, HELLO, {"Accept": "application/json"})
    assert_denied(response, "MISSING_CREDENTIALS", "Empty Signature", status=401)


def test_wrong_secret_is_invalid_signature_showing_the_server_string_to_sign(
    local: LocalRun, app: TestApp
) -> None:
    impostor = TestApp(app.app_id, app.access_key, "wrong-secret-" + "x" * 30, {})
    signed = local.client(impostor).sign(
        ApiGatewayRequest("GET", HELLO, query=[("b", "2"), ("a", ""), ("城市", "上海")])
    )
    response = send(signed)
    assert (response.status, verdict_of(response)) == (403, "INVALID_SIGNATURE")
    if not shows_gateway_responses(response):
        return
    message = response.get_header("X-Ca-Error-Message") or ""
    assert message.isascii(), message  # non-ASCII percent-encoded as UTF-8
    decoded = urllib.parse.unquote(message)
    expected = "Invalid Signature, Server StringToSign:" + signed.string_to_sign.replace("\n", "#")
    assert decoded == expected
    assert "\n" not in decoded and "#GET" not in decoded and decoded.count("#") >= 5
    assert response.get_header("X-Ca-Request-Id")
    assert response.json()["code"] == "INVALID_SIGNATURE"


def test_disabling_a_key_after_use_takes_effect_at_once_with_ttl_0(
    local: LocalRun, app: TestApp
) -> None:
    assert_allowed(send(hello(local, app)))
    local.ok(local.patch(f"/v1/keys/{app.access_key}", {"enabled": False}))
    assert_denied(send(hello(local, app)), "KEY_DISABLED", "Unauthorized")


# -- timestamp, nonce, method -----------------------------------------------------------------


def test_stale_timestamp_is_timestamp_expired_with_server_time(local: LocalRun) -> None:
    app = local.new_app()
    client = local.client(app, clock=lambda: time.time() - 3600)
    response = client.request("GET", HELLO)
    assert_denied(response, "TIMESTAMP_EXPIRED", "Timestamp Expired")
    if not shows_gateway_responses(response):
        return
    server_time = response.get_header("X-Ca-Server-Time") or ""
    assert server_time.isdigit(), response.headers
    assert abs(int(server_time) - time.time() * 1000) < 60_000


@pytest.mark.parametrize("method", ["GET", "form POST"])
def test_replay_of_the_same_signed_request_is_nonce_used(
    local: LocalRun, app: TestApp, method: str
) -> None:
    if method == "GET":
        signed = hello(local, app, query={"a": "1"})
    elif local.gateway == "http":
        pytest.skip("HTTP APIs refuse form bodies")
    else:
        signed = local.client(app).sign(ApiGatewayRequest("POST", ECHO, form={"a": "1"}))
    assert_allowed(send(signed))
    assert_denied(send(signed), "NONCE_USED", "Nonce Used")


def test_a_call_failing_on_an_unknown_key_leaves_that_nonce_usable(
    local: LocalRun, app: TestApp
) -> None:
    nonce = f"shared-{uuid.uuid4()}"
    stranger = TestApp("app-none", "unknownKey" + uuid.uuid4().hex[:12], app.secret, {})
    failed = local.client(stranger).sign(ApiGatewayRequest("GET", HELLO), nonce=nonce)
    failed_response = send(failed)
    if shows_gateway_responses(failed_response):  # a call of no account: only logged
        assert failed_response.get_header("X-Ca-Error-Code") == "INVALID_KEY"
    else:
        assert (failed_response.status, failed_response.json()) == (403, {"message": "Forbidden"})
    assert_allowed(send(local.client(app).sign(ApiGatewayRequest("GET", HELLO), nonce=nonce)))


# -- caller IP --------------------------------------------------------------------------------


def test_the_whitelist_sees_the_real_callers_address(local: LocalRun, app: TestApp) -> None:
    # Entry forms (exact, wildcard, CIDR) are tests/unit/test_ip_rules.py's.
    local.ok(local.put(f"/v1/apps/{app.app_id}/whitelist", {"entries": ["10.0.0.0/8"]}))
    assert_denied(send(hello(local, app)), "IP_NOT_ALLOWED", "Unauthorized")
    local.ok(
        local.put(f"/v1/apps/{app.app_id}/whitelist", {"entries": ["10.0.0.0/8", "127.0.0.1"]})
    )
    assert_allowed(send(hello(local, app)))


# -- API, stage, authorization ----------------------------------------------------------------


def test_call_to_an_unregistered_api_is_api_not_found(local: LocalRun, app: TestApp) -> None:
    # The route is looked up (and, with a TTL, cached) by this first call.
    assert_allowed(send(hello(local, app)))
    api_id = local.api_id("demo-hello")
    local.ok(local.patch(f"/v1/apis/{api_id}", {"path": f"/moved/{uuid.uuid4().hex[:8]}"}))
    try:
        assert_denied(send(hello(local, app)), "API_NOT_FOUND", "API Not Found")
    finally:
        local.ok(local.patch(f"/v1/apis/{api_id}", {"path": HELLO}))


# -- the body, checked where it is ------------------------------------------------------------


def test_json_body_changed_after_signing_is_invalid_content_md5(
    local: LocalRun, app: TestApp
) -> None:
    signed = local.client(app).sign(ApiGatewayRequest("POST", ECHO, json_body={"amount": 1}))
    response = send(signed, body=b'{"amount":1000}')
    assert_denied(response, "INVALID_CONTENT_MD5", "Invalid Content-MD5")


def test_body_added_to_a_request_signed_without_content_md5_is_invalid_content_md5(
    local: LocalRun, app: TestApp
) -> None:
    signed = local.client(app).sign(
        ApiGatewayRequest("POST", ECHO, body=b"", content_type="text/plain")
    )
    assert "Content-MD5" not in signed.headers
    response = send(signed, body=b"smuggled")
    assert_denied(response, "INVALID_CONTENT_MD5", "Invalid Content-MD5")


@rest_only
def test_form_body_changed_after_signing_is_invalid_signature(
    local: LocalRun, app: TestApp
) -> None:
    signed = local.client(app).sign(ApiGatewayRequest("POST", ECHO, form={"amount": "1"}))
    response = send(signed, body=b"amount=1000")
    assert (response.status, response.get_header("X-Ca-Error-Code")) == (403, "INVALID_SIGNATURE")
    assert (response.get_header("X-Ca-Error-Message") or "").startswith("Invalid Signature")
    assert response.get_header("X-Ca-Request-Id")
    assert response.json()["code"] == "INVALID_SIGNATURE"


@rest_only
def test_form_body_invalid_signature_shows_the_server_string_to_sign(
    local: LocalRun, app: TestApp
) -> None:
    signed = local.client(app).sign(ApiGatewayRequest("POST", ECHO, form={"amount": "1"}))
    response = send(signed, body=b"amount=1000")
    tampered_text = signed.string_to_sign.replace("amount=1", "amount=1000")
    expected = "Invalid Signature, Server StringToSign:" + tampered_text.replace("\n", "#")
    assert urllib.parse.unquote(response.get_header("X-Ca-Error-Message") or "") == expected


# -- AppCode ----------------------------------------------------------------------------------


def _appcode(local: LocalRun, app: TestApp) -> str:
    created = local.ok(local.post(f"/v1/apps/{app.app_id}/appcodes"), 201)
    assert set(created) >= {"appcode_id", "appcode"}
    return str(created["appcode"])


def test_appcode_call_is_allowed_with_appcode_context(local: LocalRun, app: TestApp) -> None:
    code = _appcode(local, app)
    context = assert_allowed(unsigned(local, HELLO, {"Authorization": f"APPCODE {code}"}))
    assert (context["auth_method"], context["access_key"]) == ("appcode", "")
    assert (context["app_id"], context["account_id"]) == (app.app_id, "default")


@pytest.mark.parametrize("authorization", ["APPCODE wrong-code", "appcode  wrong-code"])
def test_wrong_appcode_is_invalid_appcode(
    local: LocalRun, app: TestApp, authorization: str
) -> None:
    _appcode(local, app)
    response = unsigned(local, HELLO, {"Authorization": authorization})
    assert_denied(response, "INVALID_APPCODE", "Invalid AppCode")


def test_appcode_of_a_disabled_app_is_app_disabled(local: LocalRun, app: TestApp) -> None:
    code = _appcode(local, app)
    local.ok(local.patch(f"/v1/apps/{app.app_id}", {"enabled": False}))
    response = unsigned(local, HELLO, {"Authorization": f"APPCODE {code}"})
    assert_denied(response, "APP_DISABLED", "Unauthorized")


# -- issue 8: what a key holder without the secret may try --------------------------------------


def test_the_real_client_signs_the_timestamp_and_the_nonce(local: LocalRun, app: TestApp) -> None:
    signed = hello(local, app)
    listed = {name.strip().lower() for name in signed.headers["X-Ca-Signature-Headers"].split(",")}
    assert {"x-ca-timestamp", "x-ca-nonce"} <= listed
    assert_allowed(send(signed))


@rest_only
def test_a_name_in_query_and_form_with_two_values_is_duplicate_parameter(
    local: LocalRun, app: TestApp
) -> None:
    response = local.client(app).request(
        "POST", ECHO, query={"amount": "1"}, form={"amount": "1000"}
    )
    assert_denied(response, "DUPLICATE_PARAMETER", "Duplicate Parameter: amount")


@rest_only
def test_a_form_call_with_a_garbage_signature_never_reaches_the_route(
    local: LocalRun, app: TestApp
) -> None:
    signed = local.client(app).sign(ApiGatewayRequest("POST", ECHO, form={"amount": "1"}))
    garbage = {"X-Ca-Signature": "Z2FyYmFnZQ=="}
    for _ in range(2):  # the same nonce twice: still the signature that decides
        response = send(signed, headers=garbage)
        assert response.get_header("X-Ca-Error-Code") == "INVALID_SIGNATURE", response.body
    assert_allowed(send(signed))  # the honest request: its nonce was never used
    response = send(signed)
    assert_denied(response, "NONCE_USED", "Nonce Used")


@rest_only
@pytest.mark.parametrize("charset", ["undefined", "idna"])
def test_a_form_body_in_an_unusable_charset_is_refused_and_recorded(
    local: LocalRun, app: TestApp, charset: str
) -> None:
    content_type = f"application/x-www-form-urlencoded; charset={charset}"
    signed = local.client(app).sign(
        ApiGatewayRequest("POST", ECHO, form={"a": "1"}, headers={"Content-Type": content_type})
    )
    response = send(signed)
    assert response.get_header("X-Ca-Error-Code") == "INVALID_SIGNATURE", response.body
    assert "charset" in (response.get_header("X-Ca-Error-Message") or "")
    records = local.ok(local.get(f"/v1/call-records?app_id={app.app_id}"))["items"]
    assert [r["result"] for r in records] == ["INVALID_SIGNATURE"]


# -- issue 12: rotation with grace, limits, expiry ----------------------------------------------


def test_a_secret_rotated_with_grace_keeps_both_secrets_working_until_it_ends(
    local: LocalRun, app: TestApp
) -> None:
    reset = local.ok(local.post(f"/v1/keys/{app.access_key}/reset-secret", {"grace_seconds": 3600}))
    rotated = replace(app, secret=reset["secret"])
    for caller, secret in ((app, "previous"), (rotated, "current"), (app, "previous")):
        context = assert_allowed(local.client(caller).request("GET", HELLO))
        assert context["secret"] == secret
    local.ok(local.post(f"/v1/keys/{app.access_key}/end-grace"))
    response = local.client(app).request("GET", HELLO)
    assert verdict_of(response) == "INVALID_SIGNATURE"
    assert_allowed(local.client(rotated).request("GET", HELLO))


def test_the_call_over_the_limit_gets_alibabas_text_and_retry_after(local: LocalRun) -> None:
    app = local.new_app(group=None)
    grant = local.ok(
        local.post(
            "/v1/authorizations",
            {"app_id": app.app_id, "group": "demo", "limits": {"per_minute": 2, "per_day": 1000}},
        ),
        201,
    )
    assert grant["limits"] == {"per_minute": 2, "per_day": 1000}
    client = local.client(app)
    clear_of_minute_end(15)
    assert_allowed(client.request("GET", HELLO))
    assert_allowed(client.request("GET", HELLO))
    response = client.request("GET", HELLO)
    assert_denied(response, "THROTTLED", "Throttled by APP Flow Control")
    if shows_gateway_responses(response):
        assert 1 <= int(response.get_header("Retry-After") or "0") <= 60
    usage = local.ok(local.get(f"/v1/authorizations?app_id={app.app_id}"))["items"][0]["usage"]
    assert usage["per_minute"]["used"] == 2 and usage["per_minute"]["remaining"] == 0
    assert usage["per_day"]["used"] == 2 and usage["per_day"]["remaining"] == 998
