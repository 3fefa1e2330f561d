"""The demo service behind the REQUEST authorizer (its bodies are checked by http/body_check)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Request

from chalicelib.http.gateway_authorizer import RequestAuthorizer

bp = Blueprint(__name__)
signature_authorizer = RequestAuthorizer("request_authorizer")


def _raw_body(request: Request) -> bytes:
    body = request.raw_body or b""
    return body.encode("utf-8") if isinstance(body, str) else body


def _authorizer_context(request: Request) -> dict[str, str]:
    context = (request.context or {}).get("authorizer") or {}
    return {k: v for k, v in context.items() if isinstance(v, str) and k != "principalId"}


def _public_context(context: dict[str, str]) -> dict[str, str]:
    internal = {"record_id", "body_check"}
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
