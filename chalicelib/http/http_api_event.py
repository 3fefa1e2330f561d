"""The HTTP API (API Gateway v2) adapter: a payload 2.0 or 1.0 REQUEST event in, the answer the
HTTP API's authorizer is configured for out (CONTRACT.md 3.4, DESIGN decision 11).

It makes the same ``CallRequest`` the REST adapter makes; the decision does not know which
gateway asked. What differs is read here: the method from ``requestContext.http``, the signed
path ``rawPath`` (as API Gateway gives it: a named stage's prefix included, decoded),
parameters parsed from ``rawQueryString`` (a repeated name stays repeated, so ``?a=1&a=2`` is
still ``DUPLICATE_PARAMETER``; ``queryStringParameters`` joins the values with commas), the
caller's IP from ``requestContext.http.sourceIp``, the route from ``routeKey``. An HTTP API
joins a repeated header's values with commas: the decision verifies that joined value, so a
call is never allowed on a value that was not signed.

An HTTP API shows callers no gateway responses: every denial is 403 ``{"message":"Forbidden"}``
with an ``apigw-requestid`` header (``requestContext.requestId``, the record's ``request_id``).
So nothing here raises: raising ``Unauthorized`` would be a 500 on an HTTP API, not a 401.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from chalicelib.domain import verification as rules
from chalicelib.domain.route_matching import CATCH_ALL

# The REST adapter's builders; it imports this module only for HTTP API events (no cycle).
from chalicelib.http import request_authorizer as rest
from chalicelib.services.call_verification import Outcome

PAYLOAD_2 = "2.0"
PAYLOAD_1 = "1.0"
# The catch-all route's key in an HTTP API event.
DEFAULT_ROUTE = "$default"
DEFAULT_STAGE = "$default"

_HEX = frozenset("0123456789abcdefABCDEF")


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_query(raw: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """``rawQueryString``'s parameters in order, percent-decoded as UTF-8 and ``+`` as a space,
    and what makes it unreadable ("" if nothing): a broken escape or bytes that are not UTF-8
    are never guessed at, since the backend could read them otherwise than they were verified.
    """
    pairs: list[tuple[str, str]] = []
    for part in raw.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        decoded_name, decoded_value = _decode(name), _decode(value)
        if decoded_name is None or decoded_value is None:
            return (), "the query string does not decode as UTF-8 percent-encoding"
        pairs.append((decoded_name, decoded_value))
    return tuple(pairs), ""


def _decode(text: str) -> str | None:
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    # unquote_to_bytes leaves a broken escape as it is; here it makes the query unreadable.
    if any(len(escape) < 2 or not set(escape[:2]) <= _HEX for escape in text.split("%")[1:]):
        return None
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeError:  # bytes that are not UTF-8, or a lone surrogate in the event
        return None


def _headers(event: dict[str, Any]) -> dict[str, str]:
    """Headers by lower-cased name (HTTP APIs already lower-case them). The Cookie header
    comes apart as ``cookies``; joined back as it was sent, in case a client signed it."""
    headers: dict[str, str] = {}
    for name, value in _mapping(event.get("headers")).items():
        if isinstance(name, str) and isinstance(value, str):
            lowered = name.lower()
            # Two spellings of one name: joined as the gateway joins a repeated header.
            headers[lowered] = f"{headers[lowered]},{value}" if lowered in headers else value
    cookies = event.get("cookies")
    if isinstance(cookies, list) and "cookie" not in headers:
        joined = "; ".join(cookie for cookie in cookies if isinstance(cookie, str))
        if joined:
            headers["cookie"] = joined
    return headers


def _route_path(path: str, stage: str) -> str:
    """The path without a named stage's prefix: what the routes' templates are matched with."""
    if stage and stage != DEFAULT_STAGE:
        prefix = "/" + stage
        if path == prefix:
            return "/"
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
    return path


def call_request(event: dict[str, Any]) -> rules.CallRequest:
    """The call request of a payload 2.0 event (or of an event of a version not known, read
    the same way and marked malformed: such a call is never allowed)."""
    context = _mapping(event.get("requestContext"))
    http = _mapping(context.get("http"))
    problems: list[str] = []
    version = event.get("version")
    if version != PAYLOAD_2:
        problems.append(f"the event's version {str(version)[:20]!r} is not one known")
    method = _text(http.get("method")).upper()
    path = _text(event.get("rawPath"))
    route_key = _text(event.get("routeKey"))
    if not method or not path.startswith("/") or not route_key:
        problems.append("the event lacks its method, rawPath or routeKey")
    raw_query = event.get("rawQueryString")
    query: tuple[tuple[str, str], ...] = ()
    if raw_query is not None and not isinstance(raw_query, str):
        problems.append("the event's rawQueryString is not a string")
    elif raw_query:
        query, problem = parse_query(raw_query)
        if problem:
            problems.append(problem)
    # "GET /orders/{id}" (or "ANY /orders/{proxy+}"): the lookup tries the call's method, then
    # ANY, as on REST; "$default": the path decides.
    resource = CATCH_ALL if route_key == DEFAULT_ROUTE else route_key.partition(" ")[2] or route_key
    return rules.CallRequest(
        method=method or "GET",
        path=path or "/",
        resource=resource,
        headers=_headers(event),
        query=query,
        # Never X-Forwarded-For: the caller controls it.
        source_ip=_text(http.get("sourceIp")),
        request_id=rest.request_id_of(context.get("requestId")),
        gateway_id=_text(context.get("apiId")),
        route_path=_route_path(path, _text(context.get("stage"))),
        malformed="; ".join(problems),
    )


def answer(event: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    """What the HTTP API's authorizer reads: ``{"isAuthorized", "context"}`` with simple
    responses, else the IAM policy on the ``routeArn`` (a payload 1.0 event: ``methodArn``).

    A denial's context carries ``error_code`` and ``error_message`` as on REST, for the logs;
    the caller sees 403 ``{"message":"Forbidden"}`` and finds the verdict by its request id.
    """
    gateway = outcome.gateway
    simple: dict[str, Any] = {
        "isAuthorized": outcome.allowed,
        "context": rest.answer_context(outcome),
    }
    resource = str(event.get("routeArn") or event.get("methodArn") or "*")
    policy = rest.policy(event, outcome, resource)
    if event.get("version") == PAYLOAD_1:
        return policy  # format 1.0 always takes a policy
    if gateway is None:
        # An unbound gateway (always a denial): its answer shape is not known, so both.
        return simple | policy
    if gateway.type == "http" and gateway.simple_responses:
        return simple
    return policy


def call_request_v1(event: dict[str, Any]) -> rules.CallRequest:
    """A payload 1.0 event is shaped as a REST event; its catch-all route is ``$default``."""
    request = rest.call_request(event)
    context = _mapping(event.get("requestContext"))
    route_key = _text(context.get("routeKey"))
    if DEFAULT_ROUTE in (route_key, request.resource):
        stage = _text(context.get("stage"))
        request = request._replace(resource=CATCH_ALL, route_path=_route_path(request.path, stage))
    return request


def http_api_request(event: dict[str, Any]) -> rules.CallRequest:
    """The call request of any HTTP API event (2.0, 1.0, or a version not known)."""
    if event.get("version") == PAYLOAD_1:
        return call_request_v1(event)
    return call_request(event)
