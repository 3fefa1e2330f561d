"""The REQUEST authorizer fed API-Gateway-shaped events (tests/events/), one test per verdict."""

from __future__ import annotations

import copy
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from aliyun_api_gateway import ApiGatewayClient, ApiGatewayRequest

EVENTS = Path(__file__).resolve().parents[1] / "events"
GATEWAY = "https://abcdef1234.execute-api.us-east-1.amazonaws.com"


@pytest.fixture
def demo(root_token: str) -> dict[str, str]:
    from chalicelib.services.bootstrap import register_demo

    return register_demo()


def base_event() -> dict[str, Any]:
    return json.loads((EVENTS / "request_authorizer_get.json").read_text())


def signed_event(
    demo: dict[str, str],
    *,
    secret: str | None = None,
    method: str = "GET",
    resource: str = "/demo/hello",
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timestamp: int | str | None = None,
    nonce: str | None = None,
    signature_method: str = "HmacSHA256",
    clock_offset: float = 0.0,
) -> dict[str, Any]:
    client = ApiGatewayClient(
        GATEWAY,
        demo["access_key"],
        secret or demo["secret"],
        signature_method=signature_method,
        clock=lambda: time.time() + clock_offset,
    )
    signed = client.sign(
        ApiGatewayRequest(method=method, path=resource, query=query, headers=headers or {}),
        timestamp=timestamp,
        nonce=nonce,
    )
    event = base_event()
    event.update(httpMethod=method, resource=resource, path=resource)
    event["requestContext"].update(httpMethod=method, resourcePath=resource)
    event["headers"].update(signed.headers)
    event["multiValueHeaders"].update({k: [v] for k, v in signed.headers.items()})
    if query:
        pairs = [
            (k, v)
            for k, values in query.items()
            for v in (values if isinstance(values, list) else [values])
        ]
        event["multiValueQueryStringParameters"] = {}
        for name, value in pairs:
            event["multiValueQueryStringParameters"].setdefault(name, []).append(str(value))
        event["queryStringParameters"] = {
            k: str(v[-1]) for k, v in event["multiValueQueryStringParameters"].items()
        }
    return event


def run(event: dict[str, Any]) -> dict[str, Any]:
    from app import request_authorizer  # the Lambda's handler: app.request_authorizer

    result: dict[str, Any] = request_authorizer(event, None)
    return result


def assert_denied(result: dict[str, Any], code: str, message: str | None = None) -> None:
    statement = result["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny", result
    assert result["context"]["error_code"] == code
    assert result["context"]["status"] == "403"
    if message is not None:
        assert result["context"]["error_message"] == message
    body = json.loads(result["context"]["error_body"])
    assert body == {"code": code, "message": result["context"]["error_message"]}


def records(result: str | None = None) -> list[dict[str, Any]]:
    from chalicelib.services.accounts import Principal
    from chalicelib.services.call_records import list_records

    page = list_records(Principal("default", "t", True), result=result, limit=200)
    return list(page["items"])


def test_signed_call_is_allowed_with_the_contract_context(demo: dict[str, str]) -> None:
    event = signed_event(demo, query={"b": ["2", "3"], "a": "", "名": "值"})
    result = run(event)
    statement = result["policyDocument"]["Statement"][0]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": event["methodArn"],
    }
    context = result["context"]
    assert all(isinstance(value, str) for value in context.values())
    assert context["app_id"] == demo["app_id"]
    assert context["access_key"] == demo["access_key"]
    assert context["auth_method"] == "signature"
    assert context["account_id"] == "default"
    assert context["provider_account_id"] == "default"
    assert context["stage"] == "RELEASE"
    assert json.loads(context["extension"]) == {}
    assert context["api_id"].startswith("api-")
    [record] = records("success")
    assert record["source_ip"] == "198.51.100.1"  # sourceIp, never X-Forwarded-For
    assert record["request_id"] == event["requestContext"]["requestId"]
    assert record["path"] == "/demo/hello" and record["method"] == "GET"
    assert record["latency_ms"] > 0


def test_hmac_sha1_is_accepted(demo: dict[str, str]) -> None:
    result = run(signed_event(demo, signature_method="HmacSHA1"))
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_no_credentials_at_all_is_a_401_and_recorded(demo: dict[str, str]) -> None:
    with pytest.raises(Exception, match="^Unauthorized$"):
        run(base_event())
    assert [r["result"] for r in records()] == ["MISSING_CREDENTIALS"]


def test_key_without_signature_is_missing_credentials(demo: dict[str, str]) -> None:
    event = signed_event(demo)
    del event["headers"]["X-Ca-Signature"]
    del event["multiValueHeaders"]["X-Ca-Signature"]
    assert_denied(run(event), "MISSING_CREDENTIALS", "Empty Signature")


def test_unknown_key_is_invalid_key(demo: dict[str, str]) -> None:
    event = signed_event({**demo, "access_key": "nosuchkey123"})
    assert_denied(run(event), "INVALID_KEY", "Invalid AppKey")


def test_disabled_key_and_app_deny(demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AppModel, KeyModel

    key = KeyModel.get(demo["access_key"])
    key.update(actions=[KeyModel.enabled.set(False)])
    assert_denied(run(signed_event(demo)), "KEY_DISABLED", "Unauthorized")
    key.update(actions=[KeyModel.enabled.set(True)])
    AppModel.get(demo["app_id"]).update(actions=[AppModel.enabled.set(False)])
    assert_denied(run(signed_event(demo)), "APP_DISABLED", "Unauthorized")


def test_timestamps_outside_the_window_or_malformed_are_refused(demo: dict[str, str]) -> None:
    stale = run(signed_event(demo, clock_offset=-16 * 60))
    assert_denied(stale, "TIMESTAMP_EXPIRED", "Timestamp Expired")
    assert stale["context"]["server_time"].isdigit()
    future = run(signed_event(demo, clock_offset=16 * 60))
    assert_denied(future, "TIMESTAMP_EXPIRED")
    event = signed_event(demo)
    event["headers"]["X-Ca-Timestamp"] = "yesterday"
    assert_denied(run(event), "INVALID_TIMESTAMP", "Invalid Timestamp")
    assert run(signed_event(demo, clock_offset=-14 * 60))["context"].get("app_id")


def test_overlong_nonce_is_invalid(demo: dict[str, str]) -> None:
    assert_denied(run(signed_event(demo, nonce="n" * 129)), "INVALID_NONCE", "Invalid Nonce")
    assert run(signed_event(demo, nonce="n" * 128))["context"].get("app_id")


def test_whitelist_uses_source_ip_not_forwarded_for(demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AppModel

    app = AppModel.get(demo["app_id"])
    app.update(actions=[AppModel.whitelist.set(["203.0.113.9"])])  # the X-Forwarded-For value
    assert_denied(run(signed_event(demo)), "IP_NOT_ALLOWED", "Unauthorized")
    app.update(actions=[AppModel.whitelist.set(["198.51.100.*"])])
    assert run(signed_event(demo))["context"].get("app_id")


def test_unknown_signature_method_is_refused(demo: dict[str, str]) -> None:
    event = signed_event(demo)
    event["headers"]["X-Ca-Signature-Method"] = "HmacMD5"
    assert_denied(run(event), "UNSUPPORTED_SIGNATURE_METHOD", "Invalid Signature Method")


def test_wrong_secret_shows_the_server_string_to_sign(demo: dict[str, str]) -> None:
    result = run(signed_event(demo, secret="not-the-secret"))
    assert_denied(result, "INVALID_SIGNATURE")
    message = result["context"]["error_message"]
    assert message.startswith("Invalid Signature, Server StringToSign:GET#application/json#")
    assert "\n" not in message and demo["secret"] not in message


def test_non_ascii_in_the_error_message_is_percent_encoded(demo: dict[str, str]) -> None:
    result = run(signed_event(demo, secret="wrong", query={"名": "值"}))
    message = result["context"]["error_message"]
    assert message.isascii() and "%E5%90%8D" in message


def test_replay_is_refused_and_recorded(demo: dict[str, str]) -> None:
    event = signed_event(demo)
    assert run(copy.deepcopy(event))["context"].get("app_id")
    assert_denied(run(copy.deepcopy(event)), "NONCE_USED", "Nonce Used")
    assert {r["result"] for r in records()} == {"success", "NONCE_USED"}


def test_concurrent_replays_let_exactly_one_through(demo: dict[str, str]) -> None:
    event = signed_event(demo)
    results: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        outcome = run(copy.deepcopy(event))
        with lock:
            results.append(outcome["context"].get("error_code", "success"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["NONCE_USED"] * 7 + ["success"]


def test_failure_before_the_signature_does_not_use_up_the_nonce(demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AppModel

    app = AppModel.get(demo["app_id"])
    app.update(actions=[AppModel.whitelist.set(["10.0.0.0/8"])])
    event = signed_event(demo, nonce="same-nonce")
    assert_denied(run(copy.deepcopy(event)), "IP_NOT_ALLOWED")
    app.update(actions=[AppModel.whitelist.set([])])
    assert run(copy.deepcopy(event))["context"].get("app_id")


def test_failure_after_the_signature_uses_up_the_nonce(demo: dict[str, str]) -> None:
    event = signed_event(demo, headers={"X-Ca-Stage": "NOPE"}, nonce="n-after")
    assert_denied(run(copy.deepcopy(event)), "INVALID_STAGE", "Invalid Stage")
    assert_denied(run(copy.deepcopy(event)), "NONCE_USED")


def test_unregistered_api_is_not_found(demo: dict[str, str]) -> None:
    assert_denied(
        run(signed_event(demo, resource="/demo/unknown")), "API_NOT_FOUND", "API Not Found"
    )


def test_stage_outside_the_authorization_is_not_authorized(demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AuthorizationModel

    for grant in AuthorizationModel.query(demo["app_id"]):
        grant.update(actions=[AuthorizationModel.stages.set(["TEST"])])
    assert_denied(run(signed_event(demo)), "NOT_AUTHORIZED", "Unauthorized")
    test_stage = signed_event(demo, headers={"X-Ca-Stage": "TEST"})
    assert run(test_stage)["context"]["stage"] == "TEST"


def test_app_without_authorization_is_not_authorized(demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AuthorizationModel

    for grant in AuthorizationModel.query(demo["app_id"]):
        grant.delete()
    assert_denied(run(signed_event(demo)), "NOT_AUTHORIZED")


def test_expired_authorization_is_reported_as_expired(demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AuthorizationModel

    for grant in AuthorizationModel.query(demo["app_id"]):
        grant.update(actions=[AuthorizationModel.expires_at.set("2020-01-01T00:00:00.000Z")])
    assert_denied(run(signed_event(demo)), "AUTHORIZATION_EXPIRED", "Unauthorized")


def test_appcode_calls_skip_the_signature_but_not_the_rest(demo: dict[str, str]) -> None:
    from chalicelib.services.accounts import Principal
    from chalicelib.services.apps import create_appcode
    from chalicelib.storage.models import AppModel

    code = create_appcode(Principal("default", "t", True), demo["app_id"])["appcode"]
    event = base_event()
    event["headers"]["Authorization"] = f"APPCODE {code}"
    context = run(copy.deepcopy(event))["context"]
    assert context["auth_method"] == "appcode" and context["access_key"] == ""
    assert run(copy.deepcopy(event))["context"]["app_id"] == demo["app_id"]  # no nonce
    AppModel.get(demo["app_id"]).update(actions=[AppModel.enabled.set(False)])
    assert_denied(run(copy.deepcopy(event)), "APP_DISABLED")
    event["headers"]["Authorization"] = "APPCODE wrong"
    assert_denied(run(event), "INVALID_APPCODE", "Invalid AppCode")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda e: e.update(headers=None, multiValueHeaders=None),
        lambda e: e.update(headers=["x"], multiValueHeaders="y"),
        lambda e: e.update(requestContext=None),
        lambda e: e.update(multiValueQueryStringParameters={"a": None, "b": [1, None]}),
        lambda e: e["headers"].update({"X-Ca-Signature": "%%%not base64%%%"}),
        lambda e: e["headers"].update({"X-Ca-Signature-Headers": ",,,X-Ca-Key,,x-ca-key"}),
        lambda e: e["headers"].update({"X-Ca-Timestamp": "9" * 5000}),
        lambda e: e["headers"].update({"X-Ca-Key": "k" * 100_000}),
        lambda e: e["headers"].update({"X-Ca-Nonce": "\u0000\udcff"}),
        lambda e: e.update(httpMethod=None, path=None, resource=None),
    ],
)
def test_garbage_events_end_in_a_deny_never_an_error(demo: dict[str, str], mangle: Any) -> None:
    event = signed_event(demo)
    mangle(event)
    try:
        result = run(event)
    except Exception as error:  # only the documented 401 may escape
        assert str(error) == "Unauthorized"
        return
    statement = result["policyDocument"]["Statement"][0]
    assert statement["Effect"] in ("Allow", "Deny")


def test_warm_allowed_call_costs_one_dynamodb_request(
    demo: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.config import settings
    from chalicelib.services.verification import reset_cache
    from chalicelib.storage import clients

    monkeypatch.setenv("APIAUTH_CACHE_TTL_SECONDS", "60")
    settings.cache_clear()
    reset_cache()
    calls: list[str] = []
    clients.dynamodb().meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )
    try:
        run(signed_event(demo))
        cold = list(calls)
        calls.clear()
        run(signed_event(demo))
        warm = list(calls)
    finally:
        settings.cache_clear()
        reset_cache()
    assert cold == ["BatchGetItem", "BatchGetItem", "TransactWriteItems"]
    assert warm == ["TransactWriteItems"]
