"""What every admin route shares: the Bearer-token authorizer, input parsing, error mapping."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from chalice.app import AuthRequest, AuthResponse, Blueprint, Request, Response

from chalicelib.domain.errors import DomainError, NotFound, Unavailable, ValidationFailed
from chalicelib.http.errors import error_response, json_response
from chalicelib.http.lazy_import import lazy_module

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chalicelib.domain.principal import Principal
    from chalicelib.services import accounts
else:
    accounts = lazy_module("chalicelib.services.accounts")

M = TypeVar("M", bound="BaseModel")
logger = logging.getLogger(__name__)

admin_auth = Blueprint(__name__)


@admin_auth.authorizer(ttl_seconds=10)
def admin_token(auth_request: AuthRequest) -> AuthResponse:
    """``Authorization: Bearer <token>`` -> the token's account; any failure is a 401."""
    scheme, _, token = (auth_request.token or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Exception("Unauthorized")  # noqa: TRY002 - API Gateway's way to answer 401
    try:
        principal = accounts.authenticate(token.strip())
    except DomainError:
        raise Exception("Unauthorized") from None  # noqa: TRY002
    return AuthResponse(
        routes=["*"],
        principal_id=principal.account_id,
        context={
            "account_id": principal.account_id,
            "token_id": principal.token_id,
            "is_root": "true" if principal.is_root else "false",
        },
    )


class Operation(NamedTuple):
    """One admin route as the OpenAPI document describes it."""

    method: str
    path: str
    status: int
    summary: str
    body: str | None  # names of request models in chalicelib.http.schemas
    query: str | None
    tag: str
    response: str | None = None  # name of the answer's model in chalicelib.http.schemas


OPERATIONS: list[Operation] = []


def principal_of(request: Request) -> Principal:
    from chalicelib.domain.principal import Principal  # dataclasses: off the authorizer's path

    context = (request.context or {}).get("authorizer") or {}
    return Principal(
        account_id=str(context.get("account_id", "")),
        token_id=str(context.get("token_id", "")),
        is_root=context.get("is_root") == "true",
    )


def _validation_failure(error: Any) -> ValidationFailed:
    problems = []
    for detail in error.errors():
        field = ".".join(str(part) for part in detail.get("loc", ())) or "body"
        problems.append((field, str(detail.get("msg", "is invalid"))))
    message = "; ".join(f"{field}: {msg}" for field, msg in problems)
    failure = ValidationFailed(message)
    failure.field = problems[0][0] if problems else None
    return failure


def parse_body(request: Request, model: type[M]) -> M:
    from pydantic import ValidationError

    raw = request.raw_body or b""
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise ValidationFailed("must be a JSON object", "body") from None
    if not isinstance(data, dict):
        raise ValidationFailed("must be a JSON object", "body")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _validation_failure(error) from None


def parse_query(request: Request, model: type[M]) -> M:
    from pydantic import ValidationError

    params = dict(request.query_params or {})
    try:
        return model.model_validate(params)
    except ValidationError as error:
        raise _validation_failure(error) from None


View = Callable[..., Any]
MAX_ID_LENGTH = 256
# The body is read as JSON whatever it is labelled: `curl -d '{...}'` sends form-urlencoded,
# and a 415 from Chalice (not in our error format) would be a poor first experience.
BODY_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]


def admin_route(
    blueprint: Blueprint,
    path: str,
    method: str,
    *,
    status: int = 200,
    body: str | None = None,
    query: str | None = None,
    tag: str = "",
    response: str | None = None,
) -> Callable[[View], View]:
    """Register ``view(principal, **url_params, body=..., query=...)``; it returns the JSON.

    ``body`` and ``query`` name request models in ``chalicelib.http.schemas`` (by name, so
    the module, and pydantic, load only when a request arrives).
    """

    def register(view: View) -> View:
        @functools.wraps(view)
        def endpoint(**params: Any) -> Response:
            request = blueprint.current_request
            try:
                # An id longer than any we issue names nothing; DynamoDB would refuse it as a
                # key (2 KB) with an error, not an empty answer.
                for name, value in params.items():
                    if len(value) > MAX_ID_LENGTH:
                        raise NotFound(f"{name} {value[:32]}... not found")
                if body or query:
                    from chalicelib.http import schemas

                    if body:
                        params["body"] = parse_body(request, getattr(schemas, body))
                    if query:
                        params["query"] = parse_query(request, getattr(schemas, query))
                result = view(principal_of(request), **params)
            except DomainError as error:
                return error_response(error)
            except Exception as error:
                from chalicelib.storage.faults import is_unavailable

                if not is_unavailable(error):
                    raise
                logger.warning("storage unavailable: %s %s: %r", method, path, error)
                return error_response(Unavailable("storage is unavailable; retry shortly"))
            if status == 204:
                return Response(body="", status_code=204)
            return json_response(result, status)

        blueprint.route(path, methods=[method], authorizer=admin_token, content_types=BODY_TYPES)(
            endpoint
        )
        OPERATIONS.append(
            Operation(
                method, path, status, (view.__doc__ or "").strip(), body, query, tag, response
            )
        )
        return view

    return register
