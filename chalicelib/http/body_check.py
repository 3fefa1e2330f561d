"""The body check as ``http`` middleware on this app's own routes (DESIGN decision 3).

A request whose body does not match its signature never reaches a route's code. Chalice
turns an error raised in middleware into a 500, so a denial is returned as a Response.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from chalice.app import Request, Response

from chalicelib.http.request_authorizer import call_request, error_message, request_id_of


def _raw_body(request: Request) -> bytes:
    body = request.raw_body or b""
    return body.encode("utf-8") if isinstance(body, str) else body


def check_body(event: Request, get_response: Callable[[Request], Response]) -> Response:
    authorizer = (event.context or {}).get("authorizer") or {}
    context = {k: v for k, v in authorizer.items() if isinstance(v, str) and k != "principalId"}
    gateway_request_id = (event.context or {}).get("requestId")
    request_id = context.get("request_id") or (
        request_id_of(gateway_request_id) if gateway_request_id else ""
    )
    if "auth_method" in context or "body_check" in context:
        from chalicelib.services.body_check import check_body as check

        outcome = check(call_request(event.to_original_event()), _raw_body(event), context)
        if outcome.status != 200:
            message = error_message(outcome.verdict, outcome.string_to_sign, outcome.message)
            return Response(
                body=json.dumps({"code": outcome.verdict, "message": message}),
                status_code=outcome.status,
                headers={
                    "Content-Type": "application/json",
                    "X-Ca-Error-Code": outcome.verdict,
                    "X-Ca-Error-Message": message,
                    "X-Ca-Request-Id": request_id,
                },
            )
        # What the route sees is what was decided with the body (for a form, only here).
        authorizer.clear()
        authorizer.update(outcome.context, principalId=outcome.context.get("app_id", ""))
    response = get_response(event)
    if request_id and "X-Ca-Request-Id" not in response.headers:
        response.headers["X-Ca-Request-Id"] = request_id
    return response
