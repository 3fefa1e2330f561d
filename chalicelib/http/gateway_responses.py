"""What API Gateway answers for the REQUEST authorizer's outcomes: one table, two readers.

``devtools/package.py`` writes it into the deployment's REST API
(``x-amazon-apigateway-gateway-responses``) and the local shim renders the same table, so a
denied caller sees the same status, headers and body in AWS and locally. Gateway-response
templates only substitute variables (no VTL, no escaping): the authorizer puts ready-made,
escaped values in its context (``Denial``: ``error_body``, ``error_message``). The body check
renders the same table for a denial it takes where the body is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import quote

from chalicelib.domain.call_context import CallContext
from chalicelib.domain.signing import string_to_sign_for_error
from chalicelib.domain.verdicts import MESSAGES

_CONTEXT = "context.authorizer."
_SERVER_TIME_VERDICTS = ("TIMESTAMP_EXPIRED", "INVALID_TIMESTAMP")


class GatewayResponse(NamedTuple):
    status: str | None  # None: whatever API Gateway decides (DEFAULT_4XX/5XX)
    # header -> its source: "context.authorizer.<name>", "context.requestId" or "'literal'"
    headers: Mapping[str, str]
    body: str  # the application/json template


ACCESS_DENIED = "ACCESS_DENIED"
UNAUTHORIZED = "UNAUTHORIZED"


def error_message(verdict: str, string_to_sign: str = "", override: str = "") -> str:
    """X-Ca-Error-Message: Alibaba's text, non-ASCII percent-encoded as UTF-8."""
    message = override or MESSAGES.get(verdict, "Unauthorized")
    if verdict == "INVALID_SIGNATURE" and string_to_sign:
        message = f"{message}, Server StringToSign:{string_to_sign_for_error(string_to_sign)}"
    return quote(message, safe=" !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~", errors="replace")


class Denial(NamedTuple):
    """What a denial adds to the authorizer's context for the ACCESS_DENIED response below.

    Its field names are context keys the table below reads (``_authorizer`` holds them
    together).
    """

    status: str
    error_code: str
    error_message: str
    # Ready-made JSON: a gateway-response template can only substitute variables.
    error_body: str
    server_time: str = ""  # epoch milliseconds, on a timestamp denial

    @classmethod
    def of(cls, verdict: str, string_to_sign: str = "", message: str = "") -> Denial:
        text = error_message(verdict, string_to_sign, message)
        body = json.dumps({"code": verdict, "message": text})
        now = str(int(time.time() * 1000)) if verdict in _SERVER_TIME_VERDICTS else ""
        return cls(RESPONSES[ACCESS_DENIED].status or "403", verdict, text, body, now)

    def context(self, call: CallContext) -> dict[str, str]:
        """The whole map the authorizer returns with its Deny: the call's and the denial's."""
        own = {name: value for name, value in zip(self._fields, self, strict=True) if value}
        return {**call.to_map(), **own}


# A source in the table names a field of the Denial or of the call's context, nothing else.
_CONTEXT_KEYS = frozenset({*Denial._fields, *CallContext._fields})


def _authorizer(key: str) -> str:
    if key not in _CONTEXT_KEYS:
        raise ValueError(f"{key} is not a key of the authorizer's context")
    return _CONTEXT + key


RESPONSES: Mapping[str, GatewayResponse] = {
    # A Deny from the REQUEST authorizer: its context carries the verdict.
    ACCESS_DENIED: GatewayResponse(
        "403",
        {
            "X-Ca-Error-Code": _authorizer("error_code"),
            "X-Ca-Error-Message": _authorizer("error_message"),
            "X-Ca-Server-Time": _authorizer("server_time"),
            "Retry-After": _authorizer("retry_after"),
            "X-Ca-Request-Id": "context.requestId",
        },
        "$" + _authorizer("error_body"),
    ),
    # 401 is shared by the REQUEST authorizer (no credentials at all) and the admin TOKEN
    # authorizer, and a gateway response cannot branch on the path: it follows the signature
    # contract (docs/deployment.md).
    UNAUTHORIZED: GatewayResponse(
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


def kind_of(verdict: str, sent_credentials: bool) -> str:
    """Which response a denial gets: 401 only where no credentials were sent at all."""
    if verdict == "MISSING_CREDENTIALS" and not sent_credentials:
        return UNAUTHORIZED
    return ACCESS_DENIED


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
