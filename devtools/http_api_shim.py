"""Dev-only: the local run presented as an API Gateway HTTP API (``APIAUTH_LOCAL_GATEWAY=http``).

With it the REQUEST authorizer gets payload 2.0 events (the ``$default`` route on the
``$default`` stage, as an HTTP API whose routes all go to one integration has), and callers
get what an HTTP API answers: a denial is 403 ``{"message":"Forbidden"}``, whatever the
verdict (HTTP APIs have no gateway responses), and every answer carries ``apigw-requestid``,
the id the authorizer records the call under. ``authorizer_shim`` calls in here; this module
never patches anything by itself.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

MODE_ENV_VAR = "APIAUTH_LOCAL_GATEWAY"
MODES = ("rest", "http")
REQUEST_ID_HEADER = "apigw-requestid"
DEFAULT_STAGE = "$default"
FORBIDDEN = b'{"message":"Forbidden"}'
INTERNAL_ERROR = b'{"message":"Internal Server Error"}'

_current = threading.local()


def gateway_mode(environ: Mapping[str, str] | None = None) -> str:
    """``rest`` (default) or ``http``; anything else is a configuration error."""
    value = (environ if environ is not None else os.environ).get(MODE_ENV_VAR) or "rest"
    value = value.strip().lower()
    if value not in MODES:
        raise ValueError(f"{MODE_ENV_VAR} must be rest or http, not {value!r}")
    return value


def is_http_api() -> bool:
    return gateway_mode() == "http"


def new_request_id() -> str:
    """An id shaped as an HTTP API's (``JTHoQgr2oAMEPMg=``), without ``+`` or ``/``."""
    while True:
        value = base64.b64encode(os.urandom(10)).decode("ascii")
        if "+" not in value and "/" not in value:
            return value


def begin_request() -> str:
    """A new request's id, kept for the authorizer's event and the answer's header."""
    _current.request_id = new_request_id()
    return str(_current.request_id)


def current_request_id() -> str | None:
    return getattr(_current, "request_id", None)


def end_request() -> None:
    _current.request_id = None


def build_http_api_event(
    raw_path: str,
    lambda_event: Mapping[str, Any],
    *,
    api_id: str,
    account_id: str,
    request_id: str,
    region: str,
) -> dict[str, Any]:
    """The payload 2.0 REQUEST event an HTTP API would send for this local request.

    ``raw_path`` is the request target as sent (path and query string, percent-encoded);
    ``lambda_event`` the proxy event chalice.local built (headers lower-cased). No body.
    """
    ctx: Mapping[str, Any] = lambda_event.get("requestContext") or {}
    method = str(ctx.get("httpMethod") or "GET")
    target, _, raw_query = raw_path.partition("?")
    path = unquote(str(ctx.get("path") or target))
    headers = {str(k).lower(): str(v) for k, v in (lambda_event.get("headers") or {}).items()}
    cookie = headers.pop("cookie", None)
    identity: Mapping[str, Any] = ctx.get("identity") or {}
    joined: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": (
            f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{DEFAULT_STAGE}/{method}{path}"
        ),
        "identitySource": [],
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "queryStringParameters": joined or None,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": api_id,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                # The caller's IP for the whitelist check; chalice.local says 127.0.0.1.
                "sourceIp": identity.get("sourceIp", "127.0.0.1"),
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": DEFAULT_STAGE,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
    }
    if cookie:
        # An HTTP API hands cookies apart from the headers.
        event["cookies"] = [part.strip() for part in cookie.split(";") if part.strip()]
    return event


def read_simple_answer(result: Any) -> tuple[bool, dict[str, Any]] | None:
    """(allowed, context) of a simple response, or None if ``result`` is not one."""
    if not isinstance(result, dict) or not isinstance(result.get("isAuthorized"), bool):
        return None
    context = result.get("context") or {}
    if not isinstance(context, dict):
        return None
    return result["isAuthorized"], dict(context)
