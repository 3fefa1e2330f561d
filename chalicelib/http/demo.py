"""The demo service behind the REQUEST authorizer (its bodies are checked by http/body_check)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Request

from chalicelib.domain.call_context import CallContext
from chalicelib.http.gateway_authorizer import RequestAuthorizer

bp = Blueprint(__name__)
signature_authorizer = RequestAuthorizer("request_authorizer")


def _raw_body(request: Request) -> bytes:
    body = request.raw_body or b""
    return body.encode("utf-8") if isinstance(body, str) else body


def _public_context(request: Request) -> dict[str, str]:
    """What the authorizer (and the body check) let the call through with, for its caller."""
    return CallContext.from_map((request.context or {}).get("authorizer") or {}).public()


@bp.route("/demo/hello", methods=["GET"], authorizer=signature_authorizer)
def hello() -> dict[str, Any]:
    return {"message": "hello", "context": _public_context(bp.current_request)}


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
        "context": _public_context(request),
    }
