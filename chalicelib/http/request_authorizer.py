"""The REQUEST authorizer adapter: API Gateway event in, IAM policy with context out."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from typing import Any
from urllib.parse import unquote

from chalicelib.domain import verification as rules
from chalicelib.http.gateway_responses import UNAUTHORIZED, Denial, kind_of
from chalicelib.http.telemetry import log_decision
from chalicelib.services.call_verification import Outcome, verify_call

# What API Gateway gives: a UUID (REST APIs) or a base64-like id (HTTP APIs, "JTHoQgr2oAMEPMg=").
_GATEWAY_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")


def request_id_of(value: Any) -> str:
    """``requestContext.requestId`` fit for a record's key and a response header.

    API Gateway sets it, but the handler must never raise on any event: an id that is not one
    API Gateway would give (a lone surrogate, 100,000 characters, a line break) is replaced by
    a digest of it, the same for the same value, so that the record and headers stay sane.
    """
    if value is None or value == "":
        return str(uuid.uuid4())
    text = value if isinstance(value, str) else repr(value)
    if _GATEWAY_REQUEST_ID.fullmatch(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"invalid-{digest[:32]}"


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _headers(event: dict[str, Any]) -> tuple[dict[str, str], frozenset[str]]:
    """Lower-cased headers with one value each (``headers``, which holds the last value of a
    repeated header), and the names sent more than once (``multiValueHeaders``, case variants
    of a name counted together, and two spellings in ``headers`` with two values)."""
    headers: dict[str, str] = {}
    repeated: set[str] = set()
    for name, value in _mapping(event.get("headers")).items():
        if isinstance(name, str) and isinstance(value, str):
            lowered = name.lower()
            if lowered in headers and headers[lowered] != value:
                repeated.add(lowered)
            headers[lowered] = value
    multi = _mapping(event.get("multiValueHeaders"))
    if multi:
        names = [name.lower() for name in multi if isinstance(name, str)]
        if len(set(names)) != len(names):  # case variants of one name
            repeated.update(name for name in names if names.count(name) > 1)
        for name, values in multi.items():
            if not isinstance(name, str) or not isinstance(values, list) or not values:
                continue
            if len(values) > 1:
                repeated.add(name.lower())
            if isinstance(values[-1], str):
                headers.setdefault(name.lower(), values[-1])
    return headers, frozenset(repeated)


def _query(event: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    multi = event.get("multiValueQueryStringParameters")
    if isinstance(multi, dict):
        for name, values in multi.items():
            for value in values if isinstance(values, list) else [values]:
                if isinstance(name, str) and isinstance(value, str):
                    pairs.append((name, value))
    elif isinstance(event.get("queryStringParameters"), dict):
        for name, value in event["queryStringParameters"].items():
            if isinstance(name, str) and isinstance(value, str):
                pairs.append((name, value))
    return tuple(pairs)


def call_request(event: dict[str, Any]) -> rules.CallRequest:
    context = _mapping(event.get("requestContext"))
    identity = _mapping(context.get("identity"))
    method = str(event.get("httpMethod") or context.get("httpMethod") or "GET").upper()
    # The path the caller sent and signed: on an execute-api URL it starts with the stage, on a
    # custom domain with the base path; the top-level ``path`` drops the stage (DESIGN 9).
    sent_path = str(context.get("path") or event.get("path") or "/")
    resource = str(event.get("resource") or context.get("resourcePath") or "/")
    headers, repeated = _headers(event)
    return rules.CallRequest(
        method=method,
        path=unquote(sent_path) if "%" in sent_path else sent_path,
        resource=resource,
        headers=headers,
        query=_query(event),
        # Never X-Forwarded-For: the caller controls it.
        source_ip=str(identity.get("sourceIp") or ""),
        request_id=request_id_of(context.get("requestId")),
        gateway_id=str(context.get("apiId") or ""),
        repeated_headers=repeated,
    )


def answer_context(outcome: Outcome) -> dict[str, Any]:
    """The context an answer carries: the call's on Allow, what the ACCESS_DENIED gateway
    response shows on Deny (``gateway_responses``)."""
    if outcome.allowed:
        return outcome.context.to_map()
    denial = Denial.of(outcome.verdict, outcome.string_to_sign, outcome.message)
    return denial.context(outcome.context)


def policy(event: dict[str, Any], outcome: Outcome, resource: str = "") -> dict[str, Any]:
    """The IAM policy API Gateway reads, on ``resource`` (default: the event's methodArn)."""
    return {
        "principalId": outcome.context.app_id or "anonymous",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if outcome.allowed else "Deny",
                    "Resource": resource or str(event.get("methodArn") or "*"),
                }
            ],
        },
        "context": answer_context(outcome),
    }


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """Entry point of the Lambda. Raises only to make a REST API answer 401 (no credentials).

    An HTTP API's event (it carries ``version``) goes to its own adapter.
    """
    started = time.perf_counter()
    if not isinstance(event, dict):
        event = {}
    if "version" in event:  # every HTTP API event carries it, a REST API event never does
        from chalicelib.http import http_api_event

        http_request = http_api_event.http_api_request(event)
        decided = verify_call(http_request, started)
        log_decision(http_request, decided, started)
        return http_api_event.answer(event, decided)
    request = call_request(event)
    outcome = verify_call(request, started)
    sent_credentials = not rules.sent_no_credentials(request)
    refused = not outcome.allowed
    unauthorized = refused and kind_of(outcome.verdict, sent_credentials) == UNAUTHORIZED
    log_decision(request, outcome, started, unauthorized)
    if unauthorized:
        # API Gateway answers 401 only when the authorizer fails with exactly this message.
        raise Exception("Unauthorized")  # noqa: TRY002
    return policy(event, outcome)
