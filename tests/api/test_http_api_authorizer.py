"""The authorizer fed HTTP API (API Gateway v2) events shaped as AWS documents them
(tests/events/http_api_*.json), signed by the real client: what it reads from payload 2.0 and
1.0 events, the two answer shapes, ``$default`` route matching, and what it records. The
verdicts themselves are tests/unit/test_verification.py's; the parsing is
tests/unit/test_http_api_event.py's."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from aliyun_api_gateway import ApiGatewayRequest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support.events import records
from tests.support.http_api_events import (
    DEFAULT_STAGE_EVENT,
    HTTP_GATEWAY,
    NAMED_STAGE_EVENT,
    PAYLOAD_1_EVENT,
    bind_http_demo,
    http_event,
    is_allowed,
    run,
    signed_http_event,
)


@pytest.fixture
def demo(root_token: str) -> dict[str, str]:
    return bind_http_demo()


def _denied(answer: dict[str, Any], code: str) -> None:
    assert answer["isAuthorized"] is False, answer
    assert answer["context"]["error_code"] == code, answer


# -- allowed calls and the two answer shapes -------------------------------------------------


def test_a_signed_call_on_the_default_stage_gets_a_simple_answer_and_a_record(
    demo: dict[str, str],
) -> None:
    event = signed_http_event(demo)
    answer = run(event)
    assert set(answer) == {"isAuthorized", "context"}
    assert answer["isAuthorized"] is True
    context = answer["context"]
    assert context["app_id"] == demo["app_id"] and context["auth_method"] == "signature"
    assert context["request_id"] == "JTHoQgr2oAMEPMg="
    [record] = records("success")
    # The record is found by what the caller saw as apigw-requestid.
    assert record["request_id"] == event["requestContext"]["requestId"]
    assert record["path"] == "/demo/hello" and record["source_ip"] == "198.51.100.7"
    assert record["api_id"] == context["api_id"]


def test_a_named_stage_signs_its_prefix_and_matches_its_route_key(demo: dict[str, str]) -> None:
    event = signed_http_event(demo, event_file=NAMED_STAGE_EVENT)
    assert event["rawPath"] == "/prod/demo/hello" and event["routeKey"] == "GET /demo/hello"
    assert run(event)["isAuthorized"] is True
    [record] = records("success")
    assert record["path"] == "/prod/demo/hello"


def test_without_simple_responses_the_answer_is_a_policy_on_the_route_arn(
    root_token: str,
) -> None:
    demo = bind_http_demo(simple_responses=False)
    event = signed_http_event(demo)
    answer = run(copy.deepcopy(event))
    assert "isAuthorized" not in answer
    assert answer["policyDocument"]["Statement"][0] == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": event["routeArn"],
    }
    assert answer["principalId"] == demo["app_id"]
    replay = run(event)
    assert replay["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert replay["context"]["error_code"] == "NONCE_USED"


def test_a_payload_1_0_event_gets_a_policy_on_its_method_arn(demo: dict[str, str]) -> None:
    event = signed_http_event(demo, event_file=PAYLOAD_1_EVENT)
    answer = run(copy.deepcopy(event))
    statement = answer["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow" and statement["Resource"] == event["methodArn"]
    [record] = records("success")
    assert record["path"] == "/prod/demo/hello" and record["source_ip"] == "198.51.100.7"
    assert run(event)["context"]["error_code"] == "NONCE_USED"


def test_a_payload_1_0_call_without_credentials_is_denied_not_raised(demo: dict[str, str]) -> None:
    answer = run(http_event(PAYLOAD_1_EVENT))
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert answer["context"]["error_code"] == "MISSING_CREDENTIALS"


def test_encoded_and_non_ascii_query_values_verify_from_the_raw_query_string(
    demo: dict[str, str],
) -> None:
    query = {"q": "a b&c=d/é", "名": "值", "empty": "", "plus": "1+1"}
    event = signed_http_event(demo, query=query)
    assert "%" in event["rawQueryString"]
    assert run(event)["isAuthorized"] is True


def test_a_name_with_two_values_in_the_raw_query_is_a_duplicate_parameter(
    demo: dict[str, str],
) -> None:
    event = signed_http_event(demo, query={"a": ["1", "2"]})
    assert event["rawQueryString"] == "a=1&a=2"
    assert event["queryStringParameters"] == {"a": "1,2"}  # what the gateway joins
    _denied(run(event), "DUPLICATE_PARAMETER")
    assert run(signed_http_event(demo, query={"a": ["1", "1"]}))["isAuthorized"] is True


def test_a_header_sent_twice_is_verified_as_the_gateway_joined_it(demo: dict[str, str]) -> None:
    event = signed_http_event(demo)
    signed_nonce = event["headers"]["x-ca-nonce"]
    event["headers"]["x-ca-nonce"] = signed_nonce + ",another"  # as an HTTP API joins them
    _denied(run(event), "INVALID_SIGNATURE")
    # Refused before its signature verified: the signed nonce is still unused.
    retry = signed_http_event(demo, nonce=signed_nonce)
    assert run(retry)["isAuthorized"] is True


def test_the_caller_ip_is_source_ip_never_forwarded_for(demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AppModel

    app = AppModel.get(demo["app_id"])
    app.update(actions=[AppModel.whitelist.set(["203.0.113.9"])])  # in X-Forwarded-For only
    _denied(run(signed_http_event(demo)), "IP_NOT_ALLOWED")
    app.update(actions=[AppModel.whitelist.set(["198.51.100.0/24"])])
    assert run(signed_http_event(demo))["isAuthorized"] is True


def test_a_replay_is_refused_and_both_are_recorded(demo: dict[str, str]) -> None:
    event = signed_http_event(demo)
    assert run(copy.deepcopy(event))["isAuthorized"] is True
    _denied(run(event), "NONCE_USED")
    assert sorted(r["result"] for r in records()) == ["NONCE_USED", "success"]


def test_an_appcode_call_is_allowed_without_a_signature(demo: dict[str, str]) -> None:
    from chalicelib.domain.principal import Principal
    from chalicelib.services.apps import create_appcode

    issued = create_appcode(Principal("default", "t", True), demo["app_id"])
    event = http_event()
    event["headers"]["authorization"] = f"APPCODE {issued.value}"
    answer = run(event)
    assert answer["isAuthorized"] is True and answer["context"]["auth_method"] == "appcode"


def test_an_appcode_call_in_a_malformed_event_is_never_allowed(demo: dict[str, str]) -> None:
    from chalicelib.domain.principal import Principal
    from chalicelib.services.apps import create_appcode

    issued = create_appcode(Principal("default", "t", True), demo["app_id"])
    event = http_event() | {"version": "9.9"}
    event["headers"]["authorization"] = f"APPCODE {issued.value}"
    _denied(run(event), "INVALID_SIGNATURE")
    assert [r["result"] for r in records()] == ["INVALID_SIGNATURE"]


def test_a_form_body_is_refused_and_other_bodies_hand_over_content_md5(
    demo: dict[str, str],
) -> None:
    form = ApiGatewayRequest(method="POST", path="/demo/echo", form={"a": "1"})
    _denied(
        run(signed_http_event(demo, method="POST", path="/demo/echo", request=form)),
        "FORM_BODY_UNSUPPORTED",
    )
    json_body = ApiGatewayRequest(method="POST", path="/demo/echo", json_body={"a": 1})
    event = signed_http_event(demo, method="POST", path="/demo/echo", request=json_body)
    answer = run(event)
    assert answer["isAuthorized"] is True
    assert answer["context"]["content_md5"] == event["headers"]["content-md5"]


def test_no_credentials_is_a_recorded_denial_never_a_raise(demo: dict[str, str]) -> None:
    _denied(run(http_event()), "MISSING_CREDENTIALS")
    assert [r["result"] for r in records()] == ["MISSING_CREDENTIALS"]


def test_an_unbound_gateway_is_denied_in_both_answer_shapes(demo: dict[str, str]) -> None:
    event = signed_http_event(demo)
    event["requestContext"]["apiId"] = "unbound123"
    answer = run(event)
    assert answer["isAuthorized"] is False
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert answer["context"]["error_code"] == "API_NOT_FOUND"


# -- $default route matching -----------------------------------------------------------------


@pytest.fixture
def orders(demo: dict[str, str]) -> dict[str, str]:
    """APIs on the HTTP API for the catch-all route to match, the demo app authorized."""
    from chalicelib.domain.admin import NewApi, NewAuthorization
    from chalicelib.domain.principal import Principal
    from chalicelib.services import apis

    root = Principal("default", "root", True)
    ids = {}
    for name, method, path in (
        ("by-id", "GET", "/orders/{id}"),
        ("special", "GET", "/orders/special"),
        ("rest", "ANY", "/orders/{proxy+}"),
    ):
        ids[name] = apis.create_api(
            root, NewApi(name, method, path, HTTP_GATEWAY, "orders")
        ).api.api_id
    apis.create_authorization(root, NewAuthorization(demo["app_id"], group="orders"))
    return ids


@pytest.mark.parametrize(
    ("event_file", "method", "path", "expected"),
    [
        (DEFAULT_STAGE_EVENT, "GET", "/orders/1", "by-id"),
        (DEFAULT_STAGE_EVENT, "GET", "/orders/special", "special"),
        (DEFAULT_STAGE_EVENT, "GET", "/orders/1/items", "rest"),
        (DEFAULT_STAGE_EVENT, "DELETE", "/orders/1", "rest"),
        (NAMED_STAGE_EVENT, "GET", "/orders/1", "by-id"),
    ],
)
def test_the_default_route_finds_the_most_specific_registered_api(
    demo: dict[str, str],
    orders: dict[str, str],
    event_file: str,
    method: str,
    path: str,
    expected: str,
) -> None:
    event = signed_http_event(demo, event_file=event_file, method=method, path=path)
    event["routeKey"] = event["requestContext"]["routeKey"] = "$default"
    answer = run(event)
    assert answer["isAuthorized"] is True, answer
    assert answer["context"]["api_id"] == orders[expected]


def test_the_default_route_matching_nothing_is_api_not_found(
    demo: dict[str, str], orders: dict[str, str]
) -> None:
    _denied(run(signed_http_event(demo, path="/invoices/1")), "API_NOT_FOUND")
    _denied(run(signed_http_event(demo, path="/orders")), "API_NOT_FOUND")


def test_a_default_route_call_costs_four_requests_cold_and_one_warm(
    demo: dict[str, str], dynamodb_requests: list[str]
) -> None:
    calls = dynamodb_requests
    assert run(signed_http_event(demo))["isAuthorized"] is True
    cold = list(calls)
    calls.clear()
    assert run(signed_http_event(demo))["isAuthorized"] is True
    warm = list(calls)
    # Key + gateway, the gateway's APIs (one Query by gateway), app + grants, the record.
    assert cold == ["BatchGetItem", "Query", "BatchGetItem", "PutItem"]
    assert warm == ["PutItem"]


# -- bad input: denied, recorded where it belongs, never raised, never allowed -------------


def _set(path: tuple[str, ...], value: Any) -> Any:
    def mangle(event: dict[str, Any]) -> None:
        target = event
        for name in path[:-1]:
            target = target[name]
        target[path[-1]] = value

    return mangle


@pytest.mark.parametrize(
    ("mangle", "verdict"),
    [
        (_set(("rawQueryString",), "a=%zz"), "INVALID_SIGNATURE"),
        (_set(("rawQueryString",), "a=%ff%fe"), "INVALID_SIGNATURE"),
        (_set(("rawQueryString",), None), "INVALID_SIGNATURE"),
        (_set(("rawQueryString",), 7), "INVALID_SIGNATURE"),
        (_set(("rawPath",), None), "INVALID_SIGNATURE"),
        (_set(("requestContext", "http"), None), "INVALID_SIGNATURE"),
        (_set(("requestContext", "http", "method"), None), "INVALID_SIGNATURE"),
        (_set(("routeKey",), None), "INVALID_SIGNATURE"),
        (_set(("routeKey",), "GET /nothing/here"), "API_NOT_FOUND"),
        (_set(("version",), "3.0"), "INVALID_SIGNATURE"),
        (_set(("version",), None), "INVALID_SIGNATURE"),
        (_set(("headers", "x-ca-signature-headers"), "x-ca-key," * 20_000), "INVALID_SIGNATURE"),
        (_set(("headers", "x-ca-timestamp"), "9" * 100_000), "INVALID_TIMESTAMP"),
    ],
    ids=[
        "broken-escape",
        "invalid-utf8",
        "query-null",
        "query-number",
        "path-null",
        "http-null",
        "method-null",
        "route-key-null",
        "route-key-unknown",
        "version-unknown",
        "version-null",
        "huge-signed-headers",
        "huge-timestamp",
    ],
)
def test_a_malformed_event_is_a_recorded_denial(
    demo: dict[str, str], mangle: Any, verdict: str
) -> None:
    event = signed_http_event(demo, event_file=NAMED_STAGE_EVENT, query={"a": "1"})
    mangle(event)
    answer = run(event)
    assert not is_allowed(answer)
    assert answer["context"]["error_code"] == verdict
    assert [r["result"] for r in records()] == [verdict]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda e: e.clear(),
        lambda e: e.update(headers=None, requestContext=None),
        lambda e: e.update(headers=["x"], cookies="y"),
        lambda e: e.update(requestContext={"http": "GET", "requestId": ["x"]}),
        lambda e: e["headers"].update({"X-Ca-Key": "k" * 100_000}),
        lambda e: e["headers"].update({"x-ca-nonce": "\u0000\udcff"}),
        lambda e: e.update(rawQueryString="\udcff=1&%C3%28=%E2%82"),
    ],
)
def test_garbage_events_end_in_a_denial_never_an_error(demo: dict[str, str], mangle: Any) -> None:
    event = signed_http_event(demo)
    event["version"] = event.get("version")
    mangle(event)
    event.setdefault("version", "2.0")
    assert not is_allowed(run(event))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
# Fields that the decision reads: changing any of them must never let the call through.
_READ = [
    ("version",),
    ("routeKey",),
    ("rawPath",),
    ("rawQueryString",),
    ("headers",),
    ("headers", "x-ca-signature"),
    ("headers", "x-ca-nonce"),
    ("headers", "x-ca-key"),
    ("headers", "accept"),
    ("requestContext",),
    ("requestContext", "http"),
    ("requestContext", "http", "method"),
    ("requestContext", "apiId"),
]


@hypothesis_settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(field=st.sampled_from(_READ), value=_JSON)
def test_any_value_in_any_field_the_decision_reads_is_never_an_error_nor_allowed(
    demo: dict[str, str], field: tuple[str, ...], value: Any
) -> None:
    event = signed_http_event(demo, event_file=NAMED_STAGE_EVENT, query={"a": "1"})
    target: Any = event
    for name in field[:-1]:
        target = target[name]
    if target[field[-1]] == value:
        return
    target[field[-1]] = value
    answer = run(event)
    assert not is_allowed(answer), (field, value, answer)
    json.dumps(answer)  # an answer API Gateway can read


# -- the gateway's type, through the admin API -------------------------------------------------


def test_a_gateway_is_bound_as_an_http_api_and_its_answer_shape_patched(admin: Any) -> None:
    created = admin.post(
        "/v1/gateways", {"gateway_id": "httpapi1", "account_id": "default", "type": "http"}
    )
    assert created.status == 201, created.body
    assert created.body["type"] == "http" and created.body["simple_responses"] is True
    patched = admin.patch("/v1/gateways/httpapi1", {"simple_responses": False})
    assert patched.status == 200 and patched.body["simple_responses"] is False
    assert admin.get("/v1/gateways/httpapi1").body["simple_responses"] is False
    rest = admin.post("/v1/gateways", {"gateway_id": "restapi1", "account_id": "default"})
    assert rest.body["type"] == "rest" and rest.body["simple_responses"] is None
    refused = admin.patch("/v1/gateways/restapi1", {"simple_responses": False})
    assert refused.status == 400 and "simple_responses" in refused.body["message"]
    retyped = admin.patch("/v1/gateways/restapi1", {"type": "http"})
    assert retyped.body["type"] == "http" and retyped.body["simple_responses"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"type": "websocket"},
        {"type": "rest", "simple_responses": False},
        {"type": "http", "simple_responses": "yes"},
    ],
)
def test_a_bad_gateway_type_or_answer_shape_is_a_400_naming_the_field(
    admin: Any, body: dict[str, Any]
) -> None:
    answer = admin.post("/v1/gateways", {"gateway_id": "gw9", "account_id": "default"} | body)
    assert answer.status == 400, answer.body
    field = "simple_responses" if "simple_responses" in body else "type"
    assert field in answer.body["message"]
