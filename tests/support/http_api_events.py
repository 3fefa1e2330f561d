"""Captured HTTP API (API Gateway v2) REQUEST events (tests/events/http_api_*.json), signed by a
real client as the caller sent them, and the gateway they come from bound as type ``http``."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aliyun_api_gateway import ApiGatewayClient, ApiGatewayRequest

from tests.support.paths import EVENTS

HTTP_GATEWAY = "h77pi2xq1z"  # the captured events' requestContext.apiId
DEFAULT_STAGE_EVENT = "http_api_v2_default_stage.json"
NAMED_STAGE_EVENT = "http_api_v2_named_stage.json"
PAYLOAD_1_EVENT = "http_api_v1.json"


def bind_http_demo(simple_responses: bool = True) -> dict[str, str]:
    """The captured events' HTTP API bound to ``default`` with the demo APIs and a demo app."""
    from chalicelib.domain.admin import NewGateway
    from chalicelib.domain.principal import Principal
    from chalicelib.services.bootstrap import register_demo
    from chalicelib.services.gateways import create_gateway

    root = Principal("default", "root", True)
    create_gateway(
        root, NewGateway(HTTP_GATEWAY, "default", type="http", simple_responses=simple_responses)
    )
    return register_demo(own_gateway=HTTP_GATEWAY)


def http_event(name: str = DEFAULT_STAGE_EVENT) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def signed_http_event(
    demo: dict[str, str],
    *,
    event_file: str = DEFAULT_STAGE_EVENT,
    method: str = "GET",
    path: str = "/demo/hello",
    route: str | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    secret: str | None = None,
    nonce: str | None = None,
    request: ApiGatewayRequest | None = None,
) -> dict[str, Any]:
    """The captured event of a call to ``path`` (the stage's prefix added as the caller sends
    it on a named stage), signed by a real client; ``route`` the routeKey's template (default:
    ``path`` on a named route, ``$default`` stays)."""
    event = http_event(event_file)
    context = event["requestContext"]
    stage = context["stage"]
    sent_path = path if stage == "$default" else f"/{stage}{path}"
    client = ApiGatewayClient(
        f"https://{context['domainName']}", demo["access_key"], secret or demo["secret"]
    )
    request = request or ApiGatewayRequest(
        method=method, path=sent_path, query=query, headers=headers or {}
    )
    signed = client.sign(request, nonce=nonce, timestamp=int(time.time() * 1000))
    raw_query = urlsplit(signed.url).query
    arn = f"arn:aws:execute-api:us-east-1:123456789012:{HTTP_GATEWAY}/{stage}/{method}{path}"
    sent_headers = {name.lower(): value for name, value in signed.headers.items()}
    if event["version"] == "1.0":
        route_key = f"{method} {route or path}"
        event.update(httpMethod=method, path=sent_path, resource=route or path, methodArn=arn)
        context.update(httpMethod=method, path=sent_path, resourcePath=route or path)
        context.update(routeKey=route_key, resourceId=route_key)
        event["headers"].update(sent_headers)
        event["queryStringParameters"] = _joined(raw_query)
        return event
    if event["routeKey"] != "$default":
        event["routeKey"] = context["routeKey"] = f"{method} {route or path}"
    event.update(rawPath=sent_path, rawQueryString=raw_query, routeArn=arn)
    context["http"].update(method=method, path=sent_path)
    event["headers"].update(sent_headers)
    event["queryStringParameters"] = _joined(raw_query)
    return event


def _joined(raw_query: str) -> dict[str, str] | None:
    """``queryStringParameters`` as an HTTP API gives it: a repeated name's values joined."""
    joined: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined or None


def run(event: Any) -> dict[str, Any]:
    from app import request_authorizer  # the Lambda's handler: app.request_authorizer

    result: dict[str, Any] = request_authorizer(event, None)
    return result


def is_allowed(answer: dict[str, Any]) -> bool:
    """Whether an HTTP API lets the call through on this answer, whichever its shape."""
    if "isAuthorized" in answer:
        return answer["isAuthorized"] is True
    statements = answer["policyDocument"]["Statement"]
    effects = {statement["Effect"] for statement in statements}
    return effects == {"Allow"}
