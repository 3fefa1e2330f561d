"""Dev-only: make ``chalice local`` and ``chalice.test.Client`` run the REQUEST authorizer.

Stock chalice (1.34) only runs built-in TOKEN authorizers locally; for any other
``chalice.app.Authorizer`` it warns and lets every request through (DESIGN.md, decision 2).
``install()`` wraps ``chalice.local.LocalGatewayAuthorizer.authorize`` (and, for the local run
as an HTTP API, ``LocalGateway.handle_request``: ``devtools/http_api_shim.py``). Both
the local HTTP server (``LocalDevServer`` -> ``ChaliceRequestHandler`` -> ``LocalGateway``) and
``chalice.test.Client`` (``TestHTTPClient`` -> ``LocalGateway``) reach the route only through
``LocalGateway.handle_request``, which calls that method right before invoking the app, so one
patch covers both. Routes whose authorizer is not a ``RequestAuthorizer`` (the built-in TOKEN
admin authorizer, unprotected routes) go to chalice's original method unchanged.

For a ``RequestAuthorizer`` route the wrapper builds an API-Gateway REST (v1) REQUEST authorizer
event from the local request (never the body: API Gateway does not give it to authorizers),
calls the app's ``@app.lambda_function`` of that name as the Lambda runtime would (through
``app.handler_map``, so ``pure_lambda``/``all`` middleware runs too), and then either copies the
returned context into ``requestContext.authorizer`` or answers the way the deployment's gateway
responses do: Deny -> status/headers/body from the context, ``Exception("Unauthorized")`` ->
the static 401, anything else -> 500.

Never imported by ``app.py`` or ``chalicelib``; not packaged into the Lambda zip.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

import chalice
from chalice.app import Chalice, RouteEntry
from chalice.local import (
    ARNMatcher,
    LambdaContext,
    LocalGateway,
    LocalGatewayAuthorizer,
    LocalGatewayException,
    NotAuthorizedError,
)

from chalicelib.http import gateway_responses
from chalicelib.http.gateway_authorizer import RequestAuthorizer
from devtools import http_api_shim

__all__ = [
    "AuthorizerGatewayResponse",
    "build_request_event",
    "install",
    "is_installed",
    "uninstall",
]

logger = logging.getLogger(__name__)

# The shim leans on chalice.local internals (the ``authorize`` signature, the ``_app_object``
# attribute, ``LocalGatewayException``'s fields). They are checked against this version.
TESTED_CHALICE_VERSION = "1.34.0"

STAGE_ENV_VAR = "APIAUTH_LOCAL_STAGE"
DEFAULT_STAGE = "api"
LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_API_ID = "local"
DEFAULT_REGION = "us-east-1"

EventType = dict[str, Any]
AuthorizeFn = Callable[[LocalGatewayAuthorizer, str, EventType, LambdaContext],
                       tuple[EventType, LambdaContext]]

# Marks our wrapper so install() is idempotent and uninstall() can find the original.
_SHIM_MARKER = "__apiauth_request_authorizer_shim__"

# Authorizer-context values API Gateway accepts; anything else (objects, arrays, null) makes
# it answer 500 AuthorizerConfigurationException.
_CONTEXT_VALUE_TYPES = (str, int, float, bool)


class AuthorizerGatewayResponse(LocalGatewayException):
    """A response API Gateway itself would send instead of calling the route.

    ``LocalGatewayException`` carries a class-level ``CODE``; both consumers
    (``ChaliceRequestHandler._send_error_response`` and ``TestHTTPClient._error_response``)
    read ``error.CODE`` from the instance, so setting it per instance gives any status.
    """

    def __init__(self, status: int, headers: dict[str, Any], body: bytes) -> None:
        super().__init__(headers, body)
        self.CODE = status


# ---------------------------------------------------------------------------------------------
# install / uninstall


def install() -> None:
    """Patch ``LocalGatewayAuthorizer.authorize``; calling it again is a no-op."""
    current = LocalGatewayAuthorizer.authorize
    if getattr(current, _SHIM_MARKER, False):
        return
    if chalice.__version__ != TESTED_CHALICE_VERSION:
        warnings.warn(
            f"authorizer_shim was written against chalice {TESTED_CHALICE_VERSION}, found "
            f"{chalice.__version__}: run tests/api/test_authorizer_shim.py",
            stacklevel=2,
        )
    original: AuthorizeFn = current

    def authorize(
        self: LocalGatewayAuthorizer,
        raw_path: str,
        lambda_event: EventType,
        lambda_context: LambdaContext,
    ) -> tuple[EventType, LambdaContext]:
        app: Chalice = self._app_object
        route = _route_entry(app, lambda_event)
        if route is None or not isinstance(route.authorizer, RequestAuthorizer):
            try:
                return original(self, raw_path, lambda_event, lambda_context)
            except NotAuthorizedError:
                # No Authorization header at all: chalice answers {"message": ...} itself.
                raise _unauthenticated(lambda_context.aws_request_id) from None
            except LocalGatewayException:
                raise
            except Exception as error:
                # A TOKEN authorizer fails with exactly "Unauthorized" to make API Gateway
                # answer 401 (the admin API's missing or bad Bearer token); stock chalice
                # local would turn it into a 500. Anything else it raises (a storage fault
                # reading the token) is API Gateway's 500 AuthorizerConfigurationException;
                # left to chalice local, it would close the connection without an answer.
                if str(error) != "Unauthorized":
                    logger.exception("TOKEN authorizer failed")
                    raise _configuration_error(lambda_context.aws_request_id) from None
                raise _unauthenticated(lambda_context.aws_request_id) from None
        return _run_request_authorizer(app, route.authorizer, raw_path, lambda_event,
                                       lambda_context)

    setattr(authorize, _SHIM_MARKER, True)
    authorize.__wrapped__ = original  # type: ignore[attr-defined]  # read back by uninstall()
    # Assigning to a method is exactly the monkeypatch we want; mypy flags it by default.
    LocalGatewayAuthorizer.authorize = authorize  # type: ignore[method-assign]
    _install_request_ids()


def _install_request_ids() -> None:
    """As an HTTP API (``APIAUTH_LOCAL_GATEWAY=http``), every answer carries ``apigw-requestid``:
    ``LocalGateway.handle_request`` is wrapped to give each request its id (the one the
    authorizer's event and the call's record carry) and to put it on the answer, denials and
    errors included. In REST mode the wrapper passes everything through untouched."""
    current = LocalGateway.handle_request
    if getattr(current, _SHIM_MARKER, False):
        return
    original = current

    def handle_request(
        self: LocalGateway, method: str, path: str, headers: Any, body: bytes | None
    ) -> Any:
        if not http_api_shim.is_http_api():
            return original(self, method, path, headers, body)
        request_id = http_api_shim.begin_request()
        try:
            response = original(self, method, path, headers, body)
        except LocalGatewayException as error:
            error.headers = {**(error.headers or {}), http_api_shim.REQUEST_ID_HEADER: request_id}
            raise
        finally:
            http_api_shim.end_request()
        response.setdefault("headers", {})[http_api_shim.REQUEST_ID_HEADER] = request_id
        return response

    setattr(handle_request, _SHIM_MARKER, True)
    handle_request.__wrapped__ = original  # type: ignore[attr-defined]
    LocalGateway.handle_request = handle_request  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore chalice's own ``authorize`` (for tests that check the shim makes a difference)."""
    current = LocalGatewayAuthorizer.authorize
    if getattr(current, _SHIM_MARKER, False):
        LocalGatewayAuthorizer.authorize = current.__wrapped__  # type: ignore[attr-defined, method-assign]
    handler = LocalGateway.handle_request
    if getattr(handler, _SHIM_MARKER, False):
        LocalGateway.handle_request = handler.__wrapped__  # type: ignore[attr-defined, method-assign]


def is_installed() -> bool:
    return bool(getattr(LocalGatewayAuthorizer.authorize, _SHIM_MARKER, False))


# ---------------------------------------------------------------------------------------------
# the REQUEST event


def build_request_event(
    raw_path: str,
    lambda_event: Mapping[str, Any],
    *,
    stage: str,
    request_id: str,
    region: str,
) -> EventType:
    """The REST (v1) REQUEST authorizer event API Gateway would send for this local request.

    ``lambda_event`` is the proxy event chalice.local built for the route: headers already
    lower-cased, ``multiValueQueryStringParameters`` decoded by ``parse_qs``, ``pathParameters``
    and ``requestContext.path`` still raw. No ``body``/``isBase64Encoded``: API Gateway never
    hands the body to an authorizer, and the signature check must decide the same way here.
    """
    ctx: Mapping[str, Any] = lambda_event.get("requestContext") or {}
    method: str = ctx["httpMethod"]
    resource: str = ctx["resourcePath"]
    raw_request_path: str = ctx.get("path") or raw_path.split("?", 1)[0]
    path = unquote(raw_request_path)

    headers: dict[str, str] = dict(lambda_event.get("headers") or {})
    multi_query: dict[str, list[str]] | None = None
    if lambda_event.get("multiValueQueryStringParameters"):
        multi_query = {
            key: list(values)
            for key, values in lambda_event["multiValueQueryStringParameters"].items()
        }
    path_params: dict[str, str] | None = None
    if lambda_event.get("pathParameters"):
        path_params = {k: unquote(v) for k, v in lambda_event["pathParameters"].items()}
    identity: Mapping[str, Any] = ctx.get("identity") or {}

    return {
        "type": "REQUEST",
        "methodArn": _method_arn(region, stage, method, raw_request_path),
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        # Locally every header arrives once (http.server's dict() keeps one value per name).
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        # As in AWS: the single-value map holds the last value of a repeated key; None if empty.
        "queryStringParameters": (
            {key: values[-1] for key, values in multi_query.items()} if multi_query else None
        ),
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            # The path as the caller sent it. On an execute-api URL AWS puts the stage in
            # front; the local URL has none, like a custom domain without a base path.
            "path": raw_request_path,
            "stage": stage,
            "requestId": request_id,
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": LOCAL_API_ID,
            "protocol": "HTTP/1.1",
            "domainName": headers.get("host", "localhost"),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {
                # The caller's IP for the whitelist check; chalice.local always says 127.0.0.1.
                "sourceIp": identity.get("sourceIp", "127.0.0.1"),
                "userAgent": headers.get("user-agent"),
            },
        },
    }


def _method_arn(region: str, stage: str, method: str, raw_request_path: str) -> str:
    # Same shape as chalice.local.LocalARNBuilder (path without its leading slash; the root
    # path stays "/", giving ".../GET//"), with our stage and api id.
    resource_path = raw_request_path if raw_request_path == "/" else raw_request_path[1:]
    return (f"arn:aws:execute-api:{region}:{LOCAL_ACCOUNT_ID}:{LOCAL_API_ID}"
            f"/{stage}/{method}/{resource_path}")


# ---------------------------------------------------------------------------------------------
# running the authorizer


def _route_entry(app: Chalice, lambda_event: Mapping[str, Any]) -> RouteEntry | None:
    ctx: Mapping[str, Any] = lambda_event.get("requestContext") or {}
    methods = app.routes.get(ctx.get("resourcePath", ""))
    if not methods:
        return None
    # A method the route lacks: chalice answers 405 later; nothing to authorize.
    return methods.get(ctx.get("httpMethod", ""))


def _run_request_authorizer(
    app: Chalice,
    authorizer: RequestAuthorizer,
    raw_path: str,
    lambda_event: EventType,
    lambda_context: LambdaContext,
) -> tuple[EventType, LambdaContext]:
    if http_api_shim.is_http_api():
        return _run_as_http_api(app, authorizer, raw_path, lambda_event, lambda_context)
    stage = os.environ.get(STAGE_ENV_VAR) or DEFAULT_STAGE
    route_ctx: dict[str, Any] = lambda_event.setdefault("requestContext", {})
    request_id = str(route_ctx.get("requestId") or uuid.uuid4())
    # In AWS the route sees the same requestId and stage as its authorizer.
    route_ctx.setdefault("requestId", request_id)
    route_ctx.setdefault("stage", stage)
    route_ctx.setdefault("apiId", LOCAL_API_ID)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    event = build_request_event(raw_path, lambda_event, stage=stage, request_id=request_id,
                                region=region)

    handler = _lambda_handler(app, authorizer.name)
    if handler is None:
        logger.error("route %s %s names authorizer %r, but the app has no "
                     "@app.lambda_function(name=%r)", event["httpMethod"], event["resource"],
                     authorizer.name, authorizer.name)
        raise _configuration_error(request_id)

    auth_context = _authorizer_context(lambda_context, authorizer.name)
    try:
        result = handler(event, auth_context)
    except Exception as exc:  # whatever the authorizer raises, API Gateway answers
        if str(exc) == "Unauthorized":
            raise _missing_credentials(request_id) from None
        logger.exception("request authorizer %r failed", authorizer.name)
        raise _configuration_error(request_id) from None

    decision = _decide(result, event["methodArn"])
    if decision is None:
        logger.error("request authorizer %r returned an invalid response: %r",
                     authorizer.name, result)
        raise _configuration_error(request_id)
    allowed, principal_id, context = decision
    if not allowed:
        raise _denied(context, request_id)
    # What API Gateway passes on: the context plus principalId (read by
    # app.current_request.context["authorizer"]).
    route_ctx["authorizer"] = {**context, "principalId": principal_id}
    return lambda_event, lambda_context


def _run_as_http_api(
    app: Chalice,
    authorizer: RequestAuthorizer,
    raw_path: str,
    lambda_event: EventType,
    lambda_context: LambdaContext,
) -> tuple[EventType, LambdaContext]:
    """The same, as an HTTP API: a payload 2.0 event, a simple (or policy) answer, and a
    denial of any kind shown as 403 ``{"message":"Forbidden"}`` (CONTRACT.md 1 and 3.4)."""
    route_ctx: dict[str, Any] = lambda_event.setdefault("requestContext", {})
    request_id = http_api_shim.current_request_id() or http_api_shim.new_request_id()
    route_ctx["requestId"] = request_id
    route_ctx.setdefault("stage", http_api_shim.DEFAULT_STAGE)
    route_ctx.setdefault("apiId", LOCAL_API_ID)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    event = http_api_shim.build_http_api_event(
        raw_path,
        lambda_event,
        api_id=LOCAL_API_ID,
        account_id=LOCAL_ACCOUNT_ID,
        request_id=request_id,
        region=region,
    )
    handler = _lambda_handler(app, authorizer.name)
    if handler is None:
        raise _http_api_error(request_id)
    auth_context = _authorizer_context(lambda_context, authorizer.name)
    try:
        result = handler(event, auth_context)
    except Exception:  # an HTTP API answers 500 whatever the authorizer raises
        logger.exception("request authorizer %r failed", authorizer.name)
        raise _http_api_error(request_id) from None
    decision = http_api_shim.read_simple_answer(result)
    if decision is None:
        policy = _decide(result, event["routeArn"])
        decision = (policy[0], {**policy[2], "principalId": policy[1]}) if policy else None
    if decision is None:
        logger.error("request authorizer %r returned an invalid response: %r",
                     authorizer.name, result)
        raise _http_api_error(request_id)
    allowed, context = decision
    if not allowed:
        headers = {"Content-Type": "application/json",
                   http_api_shim.REQUEST_ID_HEADER: request_id}
        raise AuthorizerGatewayResponse(403, headers, http_api_shim.FORBIDDEN)
    route_ctx["authorizer"] = context
    return lambda_event, lambda_context


def _http_api_error(request_id: str) -> AuthorizerGatewayResponse:
    headers = {"Content-Type": "application/json", http_api_shim.REQUEST_ID_HEADER: request_id}
    return AuthorizerGatewayResponse(500, headers, http_api_shim.INTERNAL_ERROR)


def _lambda_handler(app: Chalice, name: str) -> Callable[[EventType, Any], Any] | None:
    """The callable the Lambda runtime would invoke for ``@app.lambda_function(name=name)``.

    ``app.pure_lambda_functions`` lists the registered functions (holding the raw user
    function); ``app.handler_map[name]`` is the decorator's return value, i.e. the module
    attribute the deployed ``Handler`` string points at, with middleware applied.
    """
    if not any(function.name == name for function in app.pure_lambda_functions):
        return None
    return app.handler_map.get(name)


def _decide(result: Any, method_arn: str) -> tuple[bool, str, dict[str, Any]] | None:
    """(allowed, principalId, context) as API Gateway reads the policy, or None if malformed.

    An explicit Deny matching the methodArn wins; otherwise a matching Allow is needed.
    """
    if not isinstance(result, dict):
        return None
    principal_id = result.get("principalId")
    policy = result.get("policyDocument")
    context = result.get("context") or {}
    if not isinstance(principal_id, str) or not isinstance(policy, dict):
        return None
    if not isinstance(context, dict) or not all(
        isinstance(value, _CONTEXT_VALUE_TYPES) for value in context.values()
    ):
        return None
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    matcher = ARNMatcher(method_arn)
    effects: set[str] = set()
    for statement in statements:
        if not isinstance(statement, dict):
            return None
        actions = _as_list(statement.get("Action"))
        if not any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions):
            continue
        if matcher.does_any_resource_match(_as_list(statement.get("Resource"))):
            effects.add(str(statement.get("Effect")))
    allowed = "Allow" in effects and "Deny" not in effects
    return allowed, principal_id, dict(context)


def _as_list(value: Any) -> list[str]:
    # Policies allow a string or a list for Action and Resource. (chalice's own
    # _check_can_invoke_view_function iterates a string Resource character by character.)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


# ---------------------------------------------------------------------------------------------
# gateway responses


def _json_body(code: str, message: str) -> bytes:
    return json.dumps({"code": code, "message": message}).encode("utf-8")


def _denied(context: Mapping[str, Any], request_id: str) -> AuthorizerGatewayResponse:
    # The deployment's ACCESS_DENIED gateway response, from the same table.
    try:
        status = int(context.get("status", 403))
    except (TypeError, ValueError):
        status = 403
    shown_id = str(context.get("request_id") or request_id)
    _, headers, body = gateway_responses.render("ACCESS_DENIED", context, shown_id)
    headers.update({
        "Content-Type": "application/json",
        "x-amzn-RequestId": request_id,
        "x-amzn-ErrorType": "AccessDeniedException",
    })
    return AuthorizerGatewayResponse(status, headers, body.encode("utf-8"))


def _missing_credentials(request_id: str) -> AuthorizerGatewayResponse:
    # The deployment's UNAUTHORIZED gateway response, from the same table.
    status, headers, body = gateway_responses.render("UNAUTHORIZED", {}, request_id)
    headers.update({
        "Content-Type": "application/json",
        "x-amzn-RequestId": request_id,
        "x-amzn-ErrorType": "UnauthorizedException",
    })
    return AuthorizerGatewayResponse(status, headers, body.encode("utf-8"))


def _unauthenticated(request_id: str) -> AuthorizerGatewayResponse:
    # Mirrors the deployment's UNAUTHORIZED gateway response for the admin routes.
    headers = {
        "Content-Type": "application/json",
        "x-amzn-RequestId": request_id,
        "x-amzn-ErrorType": "UnauthorizedException",
    }
    return AuthorizerGatewayResponse(
        401,
        headers,
        _json_body("Unauthenticated", "send Authorization: Bearer <a valid admin token>"),
    )


def _configuration_error(request_id: str) -> AuthorizerGatewayResponse:
    # API Gateway's answer when the authorizer crashes or returns garbage.
    headers = {
        "Content-Type": "application/json",
        "X-Ca-Request-Id": request_id,
        "x-amzn-RequestId": request_id,
        "x-amzn-ErrorType": "AuthorizerConfigurationException",
    }
    return AuthorizerGatewayResponse(500, headers, b'{"message": null}')


def _authorizer_context(route_context: Any, name: str) -> LambdaContext:
    """The authorizer function's own Lambda context, beside the route's."""
    return LambdaContext(
        # chalice names a lambda_function "<app>-<stage>-<name>"; the route's context carries
        # "<app>-<stage>".
        function_name=f"{route_context.function_name}-{name}",
        memory_size=route_context.memory_limit_in_mb,
        max_runtime_ms=max(int(route_context.get_remaining_time_in_millis()), 1),
    )
