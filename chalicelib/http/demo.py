"""The demo service behind the REQUEST authorizer, and the body check only the backend can do."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.http.gateway_authorizer import RequestAuthorizer
from chalicelib.http.request_authorizer import call_request, error_message

bp = Blueprint(__name__)
signature_authorizer = RequestAuthorizer("request_authorizer")


def _raw_body(request: Request) -> bytes:
    body = request.raw_body or b""
    return body.encode("utf-8") if isinstance(body, str) else body


def _authorizer_context(request: Request) -> dict[str, str]:
    context = (request.context or {}).get("authorizer") or {}
    return {k: v for k, v in context.items() if isinstance(v, str) and k != "principalId"}


def _public_context(context: dict[str, str]) -> dict[str, str]:
    internal = {"record_keys", "body_check"}
    return {k: v for k, v in context.items() if k not in internal}


@bp.route("/demo/hello", methods=["GET"], authorizer=signature_authorizer)
def hello() -> dict[str, Any]:
    return {"message": "hello", "context": _public_context(_authorizer_context(bp.current_request))}


@bp.route(
    "/demo/echo",
    methods=["POST"],
    authorizer=signature_authorizer,
    content_types=[
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/octet-stream",
    ],
)
def echo() -> dict[str, Any]:
    request = bp.current_request
    body = _raw_body(request)
    return {
        "body": body.decode("utf-8", errors="replace"),
        "context": _public_context(_authorizer_context(request)),
    }


def check_body(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Content-MD5 and form-parameter signatures against the real body (DESIGN decision 3).

    API Gateway never hands the authorizer the body, so on this app's protected routes this
    middleware finishes verification: a body that does not match its signature never
    reaches a route's code.
    """
    context = _authorizer_context(event)
    request_id = context.get("request_id") or str((event.context or {}).get("requestId", ""))
    if context.get("auth_method") == "signature":
        from chalicelib.services.verification import check_body as verify_body

        raw_event = event.to_original_event()
        call = call_request(raw_event)
        denial = verify_body(call, _raw_body(event), context)
        if denial is not None:
            message = error_message(denial.verdict, denial.string_to_sign)
            return Response(
                body=json.dumps({"code": denial.verdict, "message": message}),
                status_code=403,
                headers={
                    "Content-Type": "application/json",
                    "X-Ca-Error-Code": denial.verdict,
                    "X-Ca-Error-Message": message,
                    "X-Ca-Request-Id": request_id,
                },
            )
    response = get_response(event)
    if request_id and "X-Ca-Request-Id" not in response.headers:
        response.headers["X-Ca-Request-Id"] = request_id
    return response
