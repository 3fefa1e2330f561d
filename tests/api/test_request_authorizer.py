"""The REQUEST authorizer fed API-Gateway-shaped events (tests/events/): what it reads from an
event, what it answers (policy, context, denial), and what it stores (records, nonces), also
under concurrency. The verdict of each check is tests/unit/test_verification.py's."""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support.events import GATEWAY_ID, assert_denied, base_event, records, run, signed_event

OTHER_TEAM_GATEWAY = "zyxwvu9876"


def test_signed_call_is_allowed_with_the_contract_context(demo: dict[str, str]) -> None:
    event = signed_event(demo, query={"b": ["2", "2"], "a": "", "名": "值"})
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
    assert record["path"] == "/prod/demo/hello" and record["method"] == "GET"
    assert record["latency_ms"] > 0


def test_no_credentials_at_all_is_a_401_and_recorded(demo: dict[str, str]) -> None:
    with pytest.raises(Exception, match="^Unauthorized$"):
        run(base_event())
    assert [r["result"] for r in records()] == ["MISSING_CREDENTIALS"]


@pytest.mark.parametrize(
    ("missing", "message"),
    [("X-Ca-Signature", "Empty Signature"), ("X-Ca-Key", "Invalid AppKey")],
    ids=["key-without-signature", "signature-without-key"],
)
def test_incomplete_credentials_are_a_403_missing_credentials(
    demo: dict[str, str], missing: str, message: str
) -> None:
    event = signed_event(demo)
    del event["headers"][missing]
    del event["multiValueHeaders"][missing]
    assert_denied(run(event), "MISSING_CREDENTIALS", message)


def test_a_stale_timestamp_is_answered_with_the_servers_time(demo: dict[str, str]) -> None:
    stale = run(signed_event(demo, clock_offset=-16 * 60))
    assert_denied(stale, "TIMESTAMP_EXPIRED", "Timestamp Expired")
    assert stale["context"]["server_time"].isdigit()


def test_whitelist_uses_source_ip_not_forwarded_for(demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AppModel

    app = AppModel.get(demo["app_id"])
    app.update(actions=[AppModel.whitelist.set(["203.0.113.9"])])  # the X-Forwarded-For value
    assert_denied(run(signed_event(demo)), "IP_NOT_ALLOWED", "Unauthorized")
    app.update(actions=[AppModel.whitelist.set(["198.51.100.*"])])
    assert run(signed_event(demo))["context"].get("app_id")


def test_wrong_secret_shows_the_server_string_to_sign(demo: dict[str, str]) -> None:
    result = run(signed_event(demo, secret="not-the-secret"))
    assert_denied(result, "INVALID_SIGNATURE")
    message = result["context"]["error_message"]
    assert message.startswith("Invalid Signature, Server StringToSign:GET#application/json#")
    assert "\n" not in message and demo["secret"] not in message


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


@pytest.mark.parametrize(
    ("verdict", "changes"),
    [
        ("API_NOT_FOUND", {"resource": "/demo/unknown"}),
        ("INVALID_STAGE", {"headers": {"X-Ca-Stage": "NOPE"}}),
        ("NOT_AUTHORIZED", {"headers": {"X-Ca-Stage": "TEST"}}),
    ],
)
def test_failure_after_the_signature_uses_up_the_nonce(
    demo: dict[str, str], verdict: str, changes: dict[str, Any]
) -> None:
    from chalicelib.storage.models import AuthorizationModel

    for grant in AuthorizationModel.query(demo["app_id"]):
        grant.update(actions=[AuthorizationModel.stages.set(["RELEASE"])])
    event = signed_event(demo, nonce="n-after", **changes)
    assert_denied(run(copy.deepcopy(event)), verdict)
    assert_denied(run(copy.deepcopy(event)), "NONCE_USED")
    assert [r["result"] for r in records()] == ["NONCE_USED", verdict]


def test_stage_outside_the_authorization_is_not_authorized(demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AuthorizationModel

    for grant in AuthorizationModel.query(demo["app_id"]):
        grant.update(actions=[AuthorizationModel.stages.set(["TEST"])])
    assert_denied(run(signed_event(demo)), "NOT_AUTHORIZED", "Unauthorized")
    test_stage = signed_event(demo, headers={"X-Ca-Stage": "TEST"})
    assert run(test_stage)["context"]["stage"] == "TEST"


def test_appcode_calls_skip_the_signature_but_not_the_rest(demo: dict[str, str]) -> None:
    from chalicelib.domain.principal import Principal
    from chalicelib.services.apps import create_appcode
    from chalicelib.storage.models import AppModel

    code = create_appcode(Principal("default", "t", True), demo["app_id"]).value
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
    demo: dict[str, str], dynamodb_requests: list[str]
) -> None:
    calls = dynamodb_requests
    run(signed_event(demo))
    cold = list(calls)
    calls.clear()
    event = signed_event(demo)
    run(copy.deepcopy(event))
    warm = list(calls)
    calls.clear()
    assert_denied(run(event), "NONCE_USED")
    replay = list(calls)
    assert cold == ["BatchGetItem", "BatchGetItem", "PutItem"]
    assert warm == ["PutItem"]  # the record, which is the nonce: no transaction
    assert replay == ["PutItem", "PutItem"]  # refused (its old item comes back), its record


# -- issue 8: safe in front of any API Gateway API ---------------------------------------------


def test_a_real_clients_call_through_a_custom_domain_verifies(demo: dict[str, str]) -> None:
    event = signed_event(demo, event_file="request_authorizer_custom_domain.json")
    assert event["requestContext"]["path"] == "/shop/demo/hello"
    assert run(event)["context"]["app_id"] == demo["app_id"]
    [record] = records("success")
    assert record["path"] == "/shop/demo/hello"


def test_the_signed_path_keeps_the_stage_of_an_execute_api_url(demo: dict[str, str]) -> None:
    event = signed_event(demo)
    assert (event["path"], event["requestContext"]["path"]) == ("/demo/hello", "/prod/demo/hello")
    assert run(event)["context"]["app_id"] == demo["app_id"]
    # A client that signed the top-level path (no stage) signed something else.
    without_stage = signed_event(demo, event_file="request_authorizer_custom_domain.json")
    without_stage["requestContext"]["path"] = "/prod/demo/hello"
    assert_denied(run(without_stage), "INVALID_SIGNATURE")


@pytest.fixture
def other_team(admin_principal: Any, demo: dict[str, str]) -> dict[str, str]:
    """Another account's gateway with POST /orders and GET /demo/hello, the demo app granted."""
    from chalicelib.domain.admin import NewApi, NewAuthorization, NewGateway
    from chalicelib.domain.principal import Principal
    from chalicelib.services import accounts, apis, gateways

    account = accounts.create_account(admin_principal, "orders team")["account_id"]
    gateways.create_gateway(admin_principal, NewGateway(OTHER_TEAM_GATEWAY, account))
    team = Principal(account, "t", False)
    orders = apis.create_api(team, NewApi(name="orders", method="POST", path="/orders"))
    hello = apis.create_api(team, NewApi(name="hello", method="GET", path="/demo/hello"))
    apis.create_authorization(team, NewAuthorization(demo["app_id"], all_apis=True))
    return {"account_id": account, "orders": orders.api.api_id, "hello": hello.api.api_id}


@pytest.fixture
def admin_principal(root_token: str) -> Any:
    from chalicelib.domain.principal import Principal

    return Principal("default", "root", True)


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def test_a_form_body_on_another_gateway_is_refused_whatever_it_carries(
    demo: dict[str, str], other_team: dict[str, str]
) -> None:
    honest = signed_event(
        demo, method="POST", resource="/orders", headers=FORM, gateway_id=OTHER_TEAM_GATEWAY
    )
    garbage = copy.deepcopy(honest)
    garbage["headers"]["X-Ca-Signature"] = "Z2FyYmFnZQ=="
    for event in (honest, garbage, garbage, honest):  # the same nonce, again and again
        assert_denied(run(copy.deepcopy(event)), "FORM_BODY_UNSUPPORTED", "Form Body Unsupported")
    # Nothing was allowed and no nonce was used: the same request as JSON goes through.
    as_json = copy.deepcopy(honest)
    as_json["headers"]["Content-Type"] = "application/json"
    assert_denied(run(as_json), "INVALID_SIGNATURE")  # Content-Type is signed


def test_a_form_body_on_this_deployments_gateway_is_left_to_the_body_check(
    demo: dict[str, str],
) -> None:
    event = signed_event(demo, method="POST", resource="/demo/echo", headers=FORM)
    event["headers"]["X-Ca-Signature"] = "Z2FyYmFnZQ=="
    result = run(event)
    # Allowed to reach the middleware, which takes the whole decision with the body; nothing
    # of the caller's grants is in this context, and nothing was recorded or consumed.
    assert result["context"] == {
        "request_id": event["requestContext"]["requestId"],
        "body_check": "form",
    }
    assert records() == []


def test_each_gateways_route_belongs_to_its_own_account(
    demo: dict[str, str], other_team: dict[str, str]
) -> None:
    from chalicelib.domain.principal import Principal
    from chalicelib.services.call_records import RecordQuery, list_records

    ours = run(signed_event(demo))["context"]
    theirs = run(signed_event(demo, gateway_id=OTHER_TEAM_GATEWAY))["context"]
    assert ours["provider_account_id"] == "default" and ours["api_id"] != other_team["hello"]
    assert theirs["provider_account_id"] == other_team["account_id"]
    assert theirs["api_id"] == other_team["hello"]
    team = Principal(other_team["account_id"], "t", False)
    team_records = list_records(team, RecordQuery(limit=50)).records
    assert [r.api_id for r in team_records] == [other_team["hello"]]
    assert [r["api_id"] for r in records()] == [other_team["hello"], ours["api_id"]]


def test_a_gateway_bound_to_no_one_is_api_not_found(demo: dict[str, str]) -> None:
    event = signed_event(demo, gateway_id="unbound123")
    assert_denied(run(event), "API_NOT_FOUND", "API Not Found")


def test_a_call_that_belongs_to_no_account_is_only_logged(
    demo: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    from chalicelib.storage.models import CallRecordModel

    event = signed_event({**demo, "access_key": "nosuchkey123"}, gateway_id="unbound123")
    # Chalice's app logger ("apiauth") does not propagate to the root logger caplog watches.
    logger = logging.getLogger("apiauth.calls")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level("INFO", logger="apiauth.calls"):
            assert_denied(run(event), "INVALID_KEY")
    finally:
        logger.removeHandler(caplog.handler)
    assert list(CallRecordModel.scan()) == []
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "apiauth.calls"]
    assert line["result"] == "INVALID_KEY" and line["attributed"] is False


def test_a_parameter_with_two_values_is_refused(demo: dict[str, str]) -> None:
    refused = run(signed_event(demo, query={"a": ["1", "2"]}))
    assert_denied(refused, "DUPLICATE_PARAMETER", "Duplicate Parameter: a")
    assert run(signed_event(demo, query={"a": ["1", "1"]}))["context"]["app_id"]


def test_a_repeated_signature_header_is_refused_by_name(demo: dict[str, str]) -> None:
    event = signed_event(demo)
    nonce = event["headers"]["X-Ca-Nonce"]
    event["multiValueHeaders"]["X-Ca-Nonce"] = [nonce, "another-nonce"]
    event["headers"]["X-Ca-Nonce"] = "another-nonce"  # API Gateway keeps the last value
    result = run(copy.deepcopy(event))
    assert_denied(result, "INVALID_SIGNATURE")
    assert "x-ca-nonce" in result["context"]["error_message"]
    # Case variants of one name count as the same header.
    event = signed_event(demo)
    event["multiValueHeaders"]["x-ca-stage"] = ["TEST"]
    event["multiValueHeaders"]["X-Ca-Stage"] = ["RELEASE"]
    assert_denied(run(event), "INVALID_SIGNATURE")


@pytest.mark.parametrize("key", ["k" * 33, "bad-key!", "k" * 3000])
def test_a_value_that_cannot_be_an_access_key_is_never_looked_up(
    demo: dict[str, str], key: str
) -> None:
    from chalicelib.storage import clients

    asked: list[dict[str, Any]] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        asked.append(params)

    events = clients.dynamodb().meta.events
    events.register("provide-client-params.dynamodb.BatchGetItem", remember)
    try:
        assert_denied(run(signed_event({**demo, "access_key": key})), "INVALID_KEY")
    finally:
        events.unregister("provide-client-params.dynamodb.BatchGetItem", remember)
    tables = {table for params in asked for table in params["RequestItems"]}
    assert not any(table.endswith("keys") for table in tables), tables


def test_an_api_registered_for_any_method_matches_every_method(
    demo: dict[str, str], admin_principal: Any
) -> None:
    from chalicelib.domain.admin import NewApi, NewAuthorization
    from chalicelib.services import apis

    api = apis.create_api(
        admin_principal, NewApi(name="any", method="ANY", path="/things", gateway_id=GATEWAY_ID)
    ).api
    apis.create_authorization(admin_principal, NewAuthorization(demo["app_id"], api.api_id))
    for method in ("GET", "DELETE", "PATCH"):
        context = run(signed_event(demo, method=method, resource="/things"))["context"]
        assert context["api_id"] == api.api_id


def test_the_allowed_context_carries_content_md5_for_the_backend(demo: dict[str, str]) -> None:
    from chalicelib.domain.signing import content_md5

    md5 = content_md5(b'{"a": 1}')
    event = signed_event(
        demo,
        method="POST",
        resource="/demo/echo",
        headers={"Content-Type": "application/json", "Content-MD5": md5},
    )
    context = run(event)["context"]
    assert context["content_md5"] == md5 and context["secret"] == "current"
    assert "content_md5" not in run(signed_event(demo))["context"]


def test_nonce_rows_outlive_the_timestamp_window_on_both_sides(
    demo: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.config import settings
    from chalicelib.storage.models import CallRecordModel

    monkeypatch.setenv("APIAUTH_NONCE_TTL_SECONDS", "60")
    monkeypatch.setenv("APIAUTH_TIMESTAMP_TOLERANCE_SECONDS", "900")
    settings.cache_clear()
    try:
        before = time.time()
        run(signed_event(demo, nonce="long-lived"))
    finally:
        settings.cache_clear()
    [row] = [r for r in CallRecordModel.scan() if r.id.endswith("#long-lived")]
    assert row.nonce_until is not None and row.nonce_until >= before + 2 * 900


def test_a_nonce_crafted_from_a_kept_records_nonce_and_sort_key_is_decided_not_raised(
    demo: dict[str, str],
) -> None:
    """Issue 17, review finding 1: a nonce used again past its window keeps the old record
    as a copy; a nonce made of the old nonce and the copy's sort key (both in the account's
    own records) must not land on that copy."""
    from chalicelib.storage.models import CallRecordModel

    first = signed_event(demo, nonce="again")
    first["requestContext"]["requestId"] = "req-first"
    assert run(first)["context"].get("app_id")
    [row] = [r for r in CallRecordModel.scan() if r.id.endswith("#again")]
    row.update(actions=[CallRecordModel.nonce_until.set(int(time.time()) - 1)])  # window past
    assert run(signed_event(demo, nonce="again"))["context"].get("app_id")
    [kept] = [r for r in records() if r["request_id"] == "req-first"]
    crafted = signed_event(demo, nonce=f"again#{kept['time']}#req-first")
    assert run(crafted)["context"].get("app_id")
    assert len(records("success")) == 3


def test_an_event_without_a_gateway_id_is_api_not_found_even_if_root_bound_odd_ids(
    demo: dict[str, str], admin_principal: Any
) -> None:
    from chalicelib.domain.admin import NewGateway
    from chalicelib.services import gateways

    for odd in ("-", "none"):
        gateways.create_gateway(admin_principal, NewGateway(odd, "default"))
    event = signed_event(demo)
    del event["requestContext"]["apiId"]
    assert_denied(run(event), "API_NOT_FOUND")


SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")


@pytest.mark.parametrize(
    "request_id",
    ["\ud800", "r" * 100_000, "a b\r\nX-Injected: 1", "ключ", "\x00", 12345, ["x"], {"a": 1}],
    ids=["lone-surrogate", "100k", "crlf", "non-ascii", "nul", "int", "list", "dict"],
)
def test_an_odd_request_id_is_replaced_by_a_sane_one_in_context_and_record(
    demo: dict[str, str], request_id: object
) -> None:
    event = signed_event(demo)
    event["requestContext"]["requestId"] = request_id
    result = run(event)
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow", result
    shown = result["context"]["request_id"]
    assert SANE_REQUEST_ID.fullmatch(shown), shown
    [record] = records("success")
    assert record["request_id"] == shown


def test_a_gateways_own_request_ids_are_kept_as_they_are(demo: dict[str, str]) -> None:
    # REST APIs give a UUID, HTTP APIs a base64-like id such as "JTHoQgr2oAMEPMg=".
    for request_id in ("c4c6b8a2-8f3e-4b4e-9d2a-2a1f5c3e7b90", "JTHoQgr2oAMEPMg="):
        event = signed_event(demo)
        event["requestContext"]["requestId"] = request_id
        assert run(event)["context"]["request_id"] == request_id


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    # Any code point, lone surrogates included, as given or repeated to a 100k-character id.
    text=st.text(st.characters(codec=None, exclude_categories=()), max_size=300),
    repeat=st.sampled_from([1, 100_000]),
)
def test_the_handler_never_raises_on_any_request_id(
    demo: dict[str, str], text: str, repeat: int
) -> None:
    request_id = (text * repeat)[:100_000]
    event = signed_event(demo)
    event["requestContext"]["requestId"] = request_id
    result = run(event)
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow", result
    assert SANE_REQUEST_ID.fullmatch(result["context"]["request_id"])


@pytest.mark.parametrize(
    "request_id",
    ["\ud800", "r" * 100_000, "a\r\nX-Injected: 1"],
    ids=["lone-surrogate", "100k", "crlf"],
)
def test_a_route_answers_with_a_sane_request_id_header_whatever_the_event_holds(
    request_id: str,
) -> None:
    from chalice.app import Request, Response

    from chalicelib.http.body_check import check_body

    event = base_event() | {"body": None, "isBase64Encoded": False}
    event["requestContext"]["requestId"] = request_id
    response = check_body(Request(event), lambda _: Response(body="{}", status_code=200))
    assert SANE_REQUEST_ID.fullmatch(str(response.headers["X-Ca-Request-Id"]))
