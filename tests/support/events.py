"""Captured API Gateway REQUEST events (tests/events/), signed by a real client, fed to the
Lambda's handler; what the authorizer answered and recorded."""

from __future__ import annotations

import json
import time
from typing import Any

from aliyun_api_gateway import ApiGatewayClient, ApiGatewayRequest

from tests.support.paths import EVENTS

GATEWAY_ID = "abcdef1234"  # the captured events' requestContext.apiId
EXECUTE_API = "https://abcdef1234.execute-api.us-east-1.amazonaws.com"


def bind_demo() -> dict[str, str]:
    """The demo APIs on the captured events' gateway, bound as this deployment's own."""
    from chalicelib.services.bootstrap import register_demo
    from chalicelib.services.gateways import bind_own_gateway

    bind_own_gateway(GATEWAY_ID, "default", EXECUTE_API + "/prod")
    return register_demo(own_gateway=GATEWAY_ID)


def base_event(name: str = "request_authorizer_get.json") -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


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
    event_file: str = "request_authorizer_get.json",
    gateway_id: str = GATEWAY_ID,
) -> dict[str, Any]:
    """A captured event for ``resource``, signed by a real client over the path it sent.

    On an execute-api URL the caller sends the stage first (``/prod/demo/hello``) and the
    event's top-level ``path`` drops it; on a custom domain both carry the base path.
    """
    event = base_event(event_file)
    context = event["requestContext"]
    prefix = context["path"][: -len(event["resource"])]
    sent_path = prefix + resource
    client = ApiGatewayClient(
        f"https://{context['domainName']}",
        demo["access_key"],
        secret or demo["secret"],
        signature_method=signature_method,
        clock=lambda: time.time() + clock_offset,
    )
    signed = client.sign(
        ApiGatewayRequest(method=method, path=sent_path, query=query, headers=headers or {}),
        timestamp=timestamp,
        nonce=nonce,
    )
    top_path = sent_path if event["path"] == context["path"] else resource
    event.update(httpMethod=method, resource=resource, path=top_path)
    context.update(httpMethod=method, resourcePath=resource, path=sent_path, apiId=gateway_id)
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
    from chalicelib.domain.principal import Principal
    from chalicelib.http.call_records import record_view
    from chalicelib.services.call_records import RecordQuery, list_records

    page = list_records(Principal("default", "t", True), RecordQuery(result=result, limit=200))
    return [record_view(record) for record in page.records]
