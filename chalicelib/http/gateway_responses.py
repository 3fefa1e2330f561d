"""What API Gateway answers for the REQUEST authorizer's outcomes: one table, two readers.

``devtools/package.py`` writes it into the deployment's REST API
(``x-amazon-apigateway-gateway-responses``) and the local shim renders the same table, so a
denied caller sees the same status, headers and body in AWS and locally. Gateway-response
templates only substitute variables (no VTL, no escaping): the authorizer puts ready-made,
escaped values in its context (``error_body``, ``error_message``; ``http/request_authorizer``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

_CONTEXT = "context.authorizer."


class GatewayResponse(NamedTuple):
    status: str | None  # None: whatever API Gateway decides (DEFAULT_4XX/5XX)
    # header -> its source: "context.authorizer.<name>", "context.requestId" or "'literal'"
    headers: Mapping[str, str]
    body: str  # the application/json template


RESPONSES: Mapping[str, GatewayResponse] = {
    # A Deny from the REQUEST authorizer: its context carries the verdict.
    "ACCESS_DENIED": GatewayResponse(
        "403",
        {
            "X-Ca-Error-Code": _CONTEXT + "error_code",
            "X-Ca-Error-Message": _CONTEXT + "error_message",
            "X-Ca-Server-Time": _CONTEXT + "server_time",
            "Retry-After": _CONTEXT + "retry_after",
            "X-Ca-Request-Id": "context.requestId",
        },
        "$context.authorizer.error_body",
    ),
    # 401 is shared by the REQUEST authorizer (no credentials at all) and the admin TOKEN
    # authorizer, and a gateway response cannot branch on the path: it follows the signature
    # contract (docs/deployment.md).
    "UNAUTHORIZED": GatewayResponse(
        "401",
        {
            "X-Ca-Error-Code": "'MISSING_CREDENTIALS'",
            "X-Ca-Error-Message": "'Empty Signature'",
            "X-Ca-Request-Id": "context.requestId",
        },
        '{"code":"MISSING_CREDENTIALS","message":"Empty Signature"}',
    ),
    "DEFAULT_4XX": GatewayResponse(
        None,
        {"X-Ca-Request-Id": "context.requestId"},
        '{"code":"$context.error.responseType","message":$context.error.messageString}',
    ),
    "DEFAULT_5XX": GatewayResponse(
        None,
        {"X-Ca-Request-Id": "context.requestId"},
        '{"code":"$context.error.responseType","message":$context.error.messageString}',
    ),
}


def swagger() -> dict[str, object]:
    """The table as the REST API's ``x-amazon-apigateway-gateway-responses``."""
    document: dict[str, object] = {}
    for kind, response in RESPONSES.items():
        entry: dict[str, object] = {
            "responseParameters": {
                f"gatewayresponse.header.{name}": source
                for name, source in response.headers.items()
            },
            "responseTemplates": {"application/json": response.body},
        }
        if response.status is not None:
            entry["statusCode"] = response.status
        document[kind] = entry
    return document


def render(
    kind: str, context: Mapping[str, object], request_id: str
) -> tuple[int, dict[str, str], str]:
    """What API Gateway sends for ``kind`` given the authorizer's context (the local shim).

    A header whose source the context lacks is left out, as API Gateway leaves it empty.
    """
    response = RESPONSES[kind]

    def value(source: str) -> str:
        if source == "context.requestId":
            return request_id
        if source.startswith(_CONTEXT):
            return str(context.get(source[len(_CONTEXT) :]) or "")
        return source.strip("'")

    headers = {name: value(source) for name, source in response.headers.items()}
    body = response.body
    if body.startswith("$" + _CONTEXT):
        body = value(body[1:])
    return int(response.status or 500), {k: v for k, v in headers.items() if v}, body
