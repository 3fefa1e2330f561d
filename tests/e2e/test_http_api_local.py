"""The local run as an HTTP API (``APIAUTH_LOCAL_GATEWAY=http``), end to end with the real
client: what only an HTTP API shows its callers (403 ``{"message":"Forbidden"}`` and an
``apigw-requestid`` on every answer) and the denied call's verdict found again by that id.
The shared signed-call checks run in both modes in tests/e2e/test_signed_calls.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from aliyun_api_gateway import ApiGatewayRequest, ApiGatewayResponse

from tests.support.local_server import LocalRun, send

pytestmark = pytest.mark.e2e

HELLO = "/demo/hello"
ECHO = "/demo/echo"
HEADER = "apigw-requestid"


def _record(local_http: LocalRun, request_id: str) -> dict[str, Any]:
    # Listed, and found by request_id (the ?request_id= filter is issue 20 item 4's): a
    # refusal through its lookup entry, an allowed call among the successes.
    items = local_http.ok(local_http.get("/v1/call-records?limit=200"))["items"]
    found = [item for item in items if item["request_id"] == request_id]
    assert len(found) == 1, (request_id, items[:3])
    looked_up = local_http.ok(local_http.get(f"/v1/call-records?request_id={quote(request_id)}"))
    assert (looked_up["items"], looked_up["next_cursor"]) == (found, None)
    record: dict[str, Any] = found[0]
    return record


def _forbidden(response: ApiGatewayResponse) -> str:
    assert (response.status, response.json()) == (403, {"message": "Forbidden"}), response.body
    assert response.get_header("X-Ca-Error-Code") is None  # no gateway responses
    request_id = response.get_header(HEADER)
    assert request_id, response.headers
    return request_id


def test_the_local_gateway_is_bound_as_an_http_api(local_http: LocalRun) -> None:
    gateway = local_http.ok(local_http.get("/v1/gateways/local"))
    assert (gateway["type"], gateway["simple_responses"]) == ("http", True)
    assert gateway["checks_bodies"] is False
    assert any("HTTP API" in line for line in local_http.output)


def test_a_signed_call_allowed_and_denied_and_the_denial_found_by_its_request_id(
    local_http: LocalRun,
) -> None:
    app = local_http.new_app()
    signed = local_http.client(app).sign(
        ApiGatewayRequest("GET", HELLO, query={"城市": "上海", "q": "a b"})
    )
    allowed = send(signed)
    assert allowed.status == 200, allowed.body
    request_id = allowed.get_header(HEADER)
    assert request_id and allowed.json()["context"]["request_id"] == request_id
    assert _record(local_http, request_id)["result"] == "success"

    replayed = send(signed)
    denied_id = _forbidden(replayed)
    assert denied_id != request_id
    record = _record(local_http, denied_id)
    assert (record["result"], record["app_id"], record["path"]) == (
        "NONCE_USED",
        app.app_id,
        HELLO,
    )


def test_a_call_without_credentials_is_a_403_not_a_401(local_http: LocalRun) -> None:
    app = local_http.new_app()
    signed = local_http.client(app).sign(ApiGatewayRequest("GET", HELLO))
    response = send(signed, drop=("X-Ca-Key", "X-Ca-Signature"))
    assert _record(local_http, _forbidden(response))["result"] == "MISSING_CREDENTIALS"


def test_a_second_value_added_to_a_signed_query_is_a_duplicate_parameter(
    local_http: LocalRun,
) -> None:
    app = local_http.new_app()
    signed = local_http.client(app).sign(ApiGatewayRequest("GET", HELLO, query={"a": "1"}))
    response = send(replace(signed, url=signed.url + "&a=2"))
    assert _record(local_http, _forbidden(response))["result"] == "DUPLICATE_PARAMETER"


def test_a_form_body_is_refused_as_on_any_http_api(local_http: LocalRun) -> None:
    app = local_http.new_app()
    response = local_http.client(app).request("POST", ECHO, form={"amount": "1"})
    assert _record(local_http, _forbidden(response))["result"] == "FORM_BODY_UNSUPPORTED"


def test_a_json_body_is_the_backends_to_check_against_content_md5(local_http: LocalRun) -> None:
    app = local_http.new_app()
    signed = local_http.client(app).sign(ApiGatewayRequest("POST", ECHO, json_body={"n": 1}))
    allowed = send(signed)
    assert allowed.status == 200, allowed.body
    assert allowed.json()["context"]["content_md5"] == signed.headers["Content-MD5"]
    tampered = local_http.client(app).sign(ApiGatewayRequest("POST", ECHO, json_body={"n": 1}))
    refused = send(tampered, body=b'{"n":1000}')
    # The backend (this app's body check) answers, with the gateway's request id on it.
    assert refused.get_header("X-Ca-Error-Code") == "INVALID_CONTENT_MD5"
    assert refused.get_header(HEADER)


def test_every_answer_carries_apigw_requestid(local_http: LocalRun) -> None:
    for reply in (
        local_http.get("/v1/apps"),
        local_http.get("/v1/apps", auth=False),
        local_http.get("/openapi.json", auth=False),
    ):
        assert reply.header(HEADER), (reply.status, reply.headers)
