"""Verify one call: load what the decision needs, decide (pure), record, answer.

DynamoDB requests per allowed signed call: cold, two BatchGetItems and one
PutItem (the record, which is the nonce); warm, only the last (storage/credentials.py
caches). An allowed call with limits makes the put a TransactWriteItems with its counters;
a call a limit refuses then puts its record under the nonce, as every verified call does.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import NamedTuple

from chalicelib.config import settings
from chalicelib.domain import verification as rules
from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.limits import Window, current_windows, verdict_for
from chalicelib.domain.records import CallRecord
from chalicelib.domain.verdicts import SUCCESS
from chalicelib.storage import call_records, credentials


class Outcome(NamedTuple):
    verdict: str
    status: int  # 200 allowed, 401 no credentials at all, 403 denied
    context: dict[str, str]
    string_to_sign: str = ""
    # Replaces the verdict's usual X-Ca-Error-Message where it says more.
    message: str = ""


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
        # Attributed to the API's owner, who wants to see who knocks without a key.
        identity = credentials.load_identity(None, request)
        route = rules.registered_route(identity.gateway, identity.route)
        record = _record(request, now, found, route=route)
        status = 401 if rules.sent_no_credentials(request) else 403
        message = "Invalid AppKey" if request.header("x-ca-signature") else ""
        return _deny(record, started, status, message=message)

    well_formed = found.mode == "appcode" or rules.is_access_key(found.access_key)
    # A value that cannot be an access key is never looked up (DynamoDB refuses keys > 2 KB).
    identity = credentials.load_identity(found if well_formed else None, request)
    app, grants = credentials.load_app_and_grants(identity.app_id, identity.route)
    now_text = format_time(now)
    decision = rules.decide(
        request,
        found,
        identity.key,
        app,
        identity.gateway,
        identity.route,
        grants,
        now,
        now_text,
        settings().timestamp_tolerance_seconds,
        form,
        identity.appcode_expires_at,
    )
    if decision.deferred_to_body:
        # Nothing recorded, no nonce used: the body check takes the whole decision again.
        return Outcome(SUCCESS, 200, {"request_id": request.request_id, "body_check": "form"})

    route = rules.registered_route(identity.gateway, identity.route)
    record = _record(
        request, now, decision.verdict, found, app, route, decision.secret_used, now_text
    )
    if decision.nonce is None and not decision.allowed:
        return _deny(record, started, 403, decision.message, decision.string_to_sign)
    # Verified (or an allowed AppCode call): the nonce, the record and, for an allowed call,
    # its limits' counters go in one request; a refused condition writes none of them.
    windows = current_windows(decision.grant.limits, now) if decision.grant else []
    counters = [_counter(decision.grant, window) for window in windows if decision.grant]
    nonce = (
        call_records.Nonce(f"{found.access_key}#{decision.nonce}", _nonce_expiry())
        if decision.nonce
        else None
    )
    refused = call_records.save(record._replace(latency_ms=_since(started)), nonce, counters)
    if refused and refused != "nonce":
        # A limit refused it and nothing was written. The refusal is recorded under the nonce
        # all the same (CONTRACT 3.3), so the same bytes never pass later; a concurrent replay
        # that took the nonce in between makes this call the replay.
        window = next(w for w in windows if w.window == refused)
        limited = record._replace(result=verdict_for(refused), retry_after=window.retry_after(now))
        limited = limited._replace(latency_ms=_since(started))
        refused = call_records.save(limited, nonce)
        if refused != "nonce":
            return _denied(limited, 403)
    if refused == "nonce":
        # "Nonce unused" comes before every later check: a replay is NONCE_USED whatever else.
        return _deny(record._replace(result="NONCE_USED"), started, 403)
    if not decision.allowed:
        return _denied(record, 403, decision.message, decision.string_to_sign)
    assert app is not None and route is not None
    context = {
        "app_id": app.app_id,
        "access_key": found.access_key,
        "auth_method": found.mode,
        "account_id": app.account_id,
        "provider_account_id": route.account_id,
        "api_id": route.api_id,
        "stage": record.stage,
        "extension": app.extension_json,
        "request_id": request.request_id,
        "record_id": call_records.record_id(record, nonce.key if nonce else ""),
    }
    if found.mode == "signature":
        context["secret"] = decision.secret_used
        content_md5 = (request.header("content-md5") or "").strip()
        if content_md5:
            context["content_md5"] = content_md5
    return Outcome(SUCCESS, 200, context)


def _counter(grant: rules.Grant, window: Window) -> call_records.Counter:
    # Kept a day past its window: TTL deletes lazily, and the key names the window anyway.
    expires = int(window.end.timestamp()) + 86400
    return call_records.Counter(
        window.counter_key(grant.authorization_id), window.limit, expires, window.window
    )


def _record(
    request: rules.CallRequest,
    now: datetime,
    result: str,
    found: rules.Credentials | None = None,
    app: rules.AppRecord | None = None,
    route: rules.RouteRecord | None = None,
    secret: str = "",
    now_text: str = "",
) -> CallRecord:
    return CallRecord(
        request_id=request.request_id,
        time=now_text or format_time(now),
        method=request.method,
        path=request.path,
        source_ip=request.source_ip,
        stage=rules.requested_stage(request),
        result=result,
        auth_method=found.mode if found else "",
        access_key=found.access_key if found else "",
        app_id=app.app_id if app else "",
        api_id=route.api_id if route else "",
        caller_account_id=app.account_id if app else "",
        provider_account_id=route.account_id if route else "",
        secret=secret,
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
    record: CallRecord, started: float, status: int, message: str = "", string_to_sign: str = ""
) -> Outcome:
    record = record._replace(latency_ms=_since(started))
    call_records.save(record)
    return _denied(record, status, message, string_to_sign)


def _denied(
    record: CallRecord, status: int, message: str = "", string_to_sign: str = ""
) -> Outcome:
    context = {"request_id": record.request_id}
    if record.retry_after:
        context["retry_after"] = str(record.retry_after)
    return Outcome(record.result, status, context, string_to_sign, message)
