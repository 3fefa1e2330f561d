"""The body check as ``http`` middleware on this app's own routes (DESIGN decision 3).

A request whose body does not match its signature never reaches a route's code. Chalice
turns an error raised in middleware into a 500, so a denial is returned as a Response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice.app import Request, Response

from chalicelib.domain.call_context import CallContext
from chalicelib.http.gateway_responses import ACCESS_DENIED, Denial, render
from chalicelib.http.request_authorizer import call_request, request_id_of

if TYPE_CHECKING:
    from chalicelib.services.call_verification import Outcome


def _raw_body(request: Request) -> bytes:
    body = request.raw_body or b""
    return body.encode("utf-8") if isinstance(body, str) else body


def check_body(event: Request, get_response: Callable[[Request], Response]) -> Response:
    authorizer = (event.context or {}).get("authorizer") or {}
    context = CallContext.from_map(authorizer)
    gateway_request_id = (event.context or {}).get("requestId")
    request_id = context.request_id or (
        request_id_of(gateway_request_id) if gateway_request_id else ""
    )
    if context.from_request_authorizer:
        from chalicelib.services.body_check import check_body as check

        outcome = check(call_request(event.to_original_event()), _raw_body(event), context)
        if not outcome.allowed:
            return _denied(outcome, request_id)
        # What the route sees is what was decided with the body (for a form, only here).
        authorizer.clear()
        authorizer.update(outcome.context.to_map(), principalId=outcome.context.app_id)
    response = get_response(event)
    if request_id and "X-Ca-Request-Id" not in response.headers:
        response.headers["X-Ca-Request-Id"] = request_id
    return response


def _denied(outcome: Outcome, request_id: str) -> Response:
    """What API Gateway would answer for the authorizer's Deny: the same table's response."""
    denial = Denial.of(outcome.verdict, outcome.string_to_sign, outcome.message)
    status, headers, body = render(ACCESS_DENIED, denial.context(outcome.context), request_id)
    return Response(
        body=body, status_code=status, headers={"Content-Type": "application/json", **headers}
    )
