"""Verify one call: load what the decision needs, decide (pure), record, answer.

DynamoDB requests per allowed signed call: cold, two BatchGetItems and one
PutItem (the record, which is the nonce); warm, only the last (storage/credentials.py
caches). An allowed call with limits raises its counters first (one UpdateItem for all its
windows); a call a limit refuses then puts its record under the nonce, as every verified
call does.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import NamedTuple

from chalicelib.config import settings
from chalicelib.domain import verification as rules
from chalicelib.domain.call_context import CallContext
from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.limits import Window, current_windows, verdict_for
from chalicelib.domain.objects import Authorization, Gateway, Route
from chalicelib.domain.records import CallRecord
from chalicelib.domain.verdicts import SUCCESS
from chalicelib.storage import credentials
from chalicelib.storage.calls import items, writes
from chalicelib.storage.calls.counting import Counter
from chalicelib.storage.calls.items import Nonce


class Outcome(NamedTuple):
    """The verdict on one call; the HTTP layer turns it into an answer."""

    verdict: str
    # Allowed: what the backend receives; denied: the request id (and a limit's retry_after).
    context: CallContext
    string_to_sign: str = ""
    # Replaces the verdict's usual X-Ca-Error-Message where it says more.
    message: str = ""
    # The calling gateway as bound (None: unknown): how the HTTP layer shapes the answer.
    gateway: Gateway | None = None
    # What was recorded (none when deferred to the body check): the decision line's fields.
    record: CallRecord | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict == SUCCESS


def verify_call(
    request: rules.CallRequest,
    started: float | None = None,
    form: rules.FormBody | None = None,
) -> Outcome:
    """Decide one call and write its record. Never raises for bad input.

    ``form`` is given only where the body is (the body check), for a form-bodied call.
    """
    started = time.perf_counter() if started is None else started
    now = utc_now()
    found = rules.read_credentials(request)
    if isinstance(found, str):
        return _refuse_incomplete_credentials(request, found, now, started)
    facts = _find_facts(request, found)
    clock = rules.Clock(now, format_time(now), settings().timestamp_tolerance_seconds)
    decision = rules.decide(request, facts, clock, form)
    if decision.deferred_to_body:
        # Nothing recorded, no nonce used: the body check takes the whole decision again.
        return Outcome(SUCCESS, CallContext.deferred(request.request_id), gateway=facts.gateway)
    record = _record(request, clock, decision, facts)
    if decision.nonce is None and not decision.allowed:
        # Refused before its signature verified: the nonce stays unused.
        outcome = _deny(record, started, decision.message, decision.string_to_sign)
    else:
        outcome = _record_verified(request, facts, decision, record, clock.now, started)
    return outcome._replace(gateway=facts.gateway)


def _refuse_incomplete_credentials(
    request: rules.CallRequest, verdict: str, now: datetime, started: float
) -> Outcome:
    # Attributed to the API's owner, who wants to see who knocks without a key.
    identity = credentials.load_identity(None, request)
    route = rules.registered_route(identity.gateway, identity.route)
    clock = rules.Clock(now, format_time(now), 0)
    record = _record(request, clock, rules.Decision(verdict), route=route)
    message = "Invalid AppKey" if request.header("x-ca-signature") else ""
    return _deny(record, started, message=message)._replace(gateway=identity.gateway)


def _find_facts(request: rules.CallRequest, found: rules.Credentials) -> rules.Facts:
    well_formed = found.mode == "appcode" or rules.is_access_key(found.access_key)
    # A value that cannot be an access key is never looked up (DynamoDB refuses keys > 2 KB).
    identity = credentials.load_identity(found if well_formed else None, request)
    key_id = rules.key_scope(found, identity.key)
    app, grants = credentials.load_app_and_grants(identity.app_id, identity.route, key_id)
    return rules.Facts(
        found,
        identity.key,
        app,
        identity.gateway,
        identity.route,
        grants,
        identity.appcode_expires_at,
    )


def _record_verified(
    request: rules.CallRequest,
    facts: rules.Facts,
    decision: rules.Decision,
    record: CallRecord,
    now: datetime,
    started: float,
) -> Outcome:
    """A verified call (or an allowed AppCode call): the nonce, the record and, for an allowed
    call, its limits' counters before them; a refused condition writes none of them."""
    windows = current_windows(decision.grant.limits, now) if decision.grant else []
    counters = [_counter(decision.grant, window) for window in windows if decision.grant]
    nonce = _nonce(facts.credentials, decision)
    refused = writes.save(record._replace(latency_ms=_since(started)), nonce, counters)
    if refused and refused != "nonce":
        # A limit refused it and nothing was written. The refusal is recorded under the nonce
        # all the same (CONTRACT 3.3), so the same bytes never pass later; a concurrent replay
        # that took the nonce in between makes this call the replay.
        window = next(w for w in windows if w.window == refused)
        limited = record._replace(result=verdict_for(refused), retry_after=window.retry_after(now))
        limited = limited._replace(latency_ms=_since(started))
        refused = writes.save(limited, nonce)
        if refused != "nonce":
            return _denied(limited)
    if refused == "nonce":
        # "Nonce unused" comes before every later check: a replay is NONCE_USED whatever else.
        return _deny(record._replace(result="NONCE_USED"), started)
    if not decision.allowed:
        return _denied(record, decision.message, decision.string_to_sign)
    context = _allowed_context(request, facts, decision, record, nonce)
    return Outcome(SUCCESS, context, record=record)


def _nonce(found: rules.Credentials, decision: rules.Decision) -> Nonce | None:
    if not decision.nonce:
        return None
    return Nonce(f"{found.access_key}#{decision.nonce}", _nonce_expiry())


def _allowed_context(
    request: rules.CallRequest,
    facts: rules.Facts,
    decision: rules.Decision,
    record: CallRecord,
    nonce: Nonce | None,
) -> CallContext:
    app, route, found = facts.app, facts.route, facts.credentials
    assert app is not None and route is not None
    signed = found.mode == "signature"
    return CallContext(
        app_id=app.app_id,
        access_key=found.access_key,
        auth_method=found.mode,
        account_id=app.account_id,
        provider_account_id=route.account_id,
        api_id=route.api_id,
        stage=record.stage,
        extension=app.extension_json,
        request_id=request.request_id,
        record_id=items.record_id(record, nonce.key if nonce else ""),
        secret=decision.secret_used if signed else "",
        content_md5=(request.header("content-md5") or "").strip() if signed else "",
    )


def _counter(grant: Authorization, window: Window) -> Counter:
    # One item per authorization holds its windows; kept a day past the longest one's end.
    expires = int(window.end.timestamp()) + 86400
    return Counter(
        grant.authorization_id, window.limit, expires, window.window, window.start_key
    )


def _record(
    request: rules.CallRequest,
    clock: rules.Clock,
    decision: rules.Decision,
    facts: rules.Facts | None = None,
    route: Route | None = None,
) -> CallRecord:
    """The call's record; the route only if registered on the calling gateway."""
    found = facts.credentials if facts else None
    app = facts.app if facts else None
    if facts is not None:
        route = rules.registered_route(facts.gateway, facts.route)
    return CallRecord(
        request_id=request.request_id,
        time=clock.text,
        method=request.method,
        path=request.path,
        source_ip=request.source_ip,
        stage=rules.requested_stage(request),
        result=decision.verdict,
        auth_method=found.mode if found else "",
        access_key=found.access_key if found else "",
        app_id=app.app_id if app else "",
        api_id=route.api_id if route else "",
        caller_account_id=app.account_id if app else "",
        provider_account_id=route.account_id if route else "",
        secret=decision.secret_used,
    )


def _nonce_expiry() -> int:
    # A nonce must outlive every timestamp that could still carry it: a timestamp up to the
    # tolerance ahead of now stays acceptable until the tolerance after it.
    config = settings()
    window = max(config.nonce_ttl_seconds, 2 * config.timestamp_tolerance_seconds)
    return int(time.time()) + window + 1


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _deny(
    record: CallRecord, started: float, message: str = "", string_to_sign: str = ""
) -> Outcome:
    record = record._replace(latency_ms=_since(started))
    writes.save(record)
    return _denied(record, message, string_to_sign)


def _denied(record: CallRecord, message: str = "", string_to_sign: str = "") -> Outcome:
    context = CallContext(request_id=record.request_id, retry_after=record.retry_after)
    return Outcome(record.result, context, string_to_sign, message, record=record)
