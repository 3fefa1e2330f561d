"""The one table from domain errors to HTTP responses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice.app import Request, Response

from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    Unavailable,
    ValidationFailed,
)


# Chalice's own answers (its router and content-type check, an unhandled error), given in
# the contract's format by ``in_error_format``.
class MethodNotAllowed(DomainError):
    code = "MethodNotAllowed"

    def __init__(self, method: str, path: str, allowed: list[str]) -> None:
        super().__init__(f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}")
        self.allowed = allowed


class UnsupportedMediaType(DomainError):
    code = "UnsupportedMediaType"


class InternalError(DomainError):
    """A bug (CONTRACT 2: a 500 is a bug, whatever the input)."""

    code = "InternalServerError"


STATUS: dict[type[DomainError], int] = {
    ValidationFailed: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    MethodNotAllowed: 405,
    Conflict: 409,
    UnsupportedMediaType: 415,
    InternalError: 500,
    Unavailable: 503,
}


def status_of(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]  # type: ignore[index]
    return 400


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_response(error: DomainError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, ValidationFailed) and error.field:
        body["field"] = error.field
    headers: dict[str, str] = {}
    if isinstance(error, Unavailable):
        headers["Retry-After"] = "1"
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    return json_response(body, status_of(error), headers)


def _chalice_error(response: Response, request: Request | None) -> DomainError | None:
    """The error Chalice answered by itself with ``{"Code", "Message"}``, as one of ours."""
    if not (isinstance(response.body, dict) and set(response.body) == {"Code", "Message"}):
        return None
    if response.status_code == 405 and request is not None:
        allowed = sorted(m.strip() for m in str(response.headers.get("Allow", "")).split(","))
        return MethodNotAllowed(request.method, request.path, [m for m in allowed if m])
    if response.status_code == 415 and request is not None:
        sent = request.headers.get("content-type", "")[:100]
        return UnsupportedMediaType(
            f"Content-Type {sent} is not accepted here; send the body as application/json"
        )
    if response.status_code == 500:
        return InternalError("an internal error occurred; this is a bug, please report it")
    return None


def in_error_format(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """``http`` middleware: Chalice's own 405, 415 and 500 answers in the error format."""
    response = get_response(request)
    error = _chalice_error(response, request)
    if error is None:
        return response
    translated = error_response(error)
    kept = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "allow")}
    translated.headers = {**kept, **translated.headers}
    return translated
