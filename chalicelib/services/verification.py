"""Verify one call: load what the decision needs (cached in the warm Lambda), decide, record.

DynamoDB requests per call: cold, one BatchGetItem for key/AppCode + route, one for app +
candidate authorizations, one TransactWriteItems for nonce + record(s); warm, only the last.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from chalicelib.config import settings
from chalicelib.domain import signing
from chalicelib.domain import verification as rules
from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.ip_rules import compile_whitelist
from chalicelib.domain.verdicts import FAILURE, SUCCESS
from chalicelib.storage import hot_path
from chalicelib.storage.hot_path import Item
from chalicelib.storage.sealing import open_secret

T = TypeVar("T")
UNATTRIBUTED = "-"


class _TtlCache:
    """Per-container cache; a TTL of 0 disables it (tests), so changes show at once."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, object]] = {}

    def put(self, key: str, value: T) -> T:
        if settings().cache_ttl_seconds > 0:
            if len(self._entries) > 10_000:  # bounded: a flood of unknown keys cannot grow it
                self._entries.clear()
            self._entries[key] = (time.monotonic(), value)
        return value

    def peek(self, key: str) -> tuple[bool, object]:
        ttl = settings().cache_ttl_seconds
        hit = self._entries.get(key)
        if ttl > 0 and hit is not None and time.monotonic() - hit[0] < ttl:
            return True, hit[1]
        return False, None

    def clear(self) -> None:
        self._entries.clear()


CACHE = _TtlCache()


class Outcome(NamedTuple):
    verdict: str
    status: int
    context: dict[str, str]
    string_to_sign: str = ""
    # Replaces the verdict's usual X-Ca-Error-Message (MISSING_CREDENTIALS has two).
    message: str = ""


def _key_record(item: Item | None) -> rules.KeyRecord | None:
    if item is None:
        return None
    access_key = hot_path.text(item, "access_key")
    return rules.KeyRecord(
        access_key=access_key,
        app_id=hot_path.text(item, "app_id"),
        account_id=hot_path.text(item, "account_id"),
        enabled=hot_path.flag(item, "enabled", True),
        secret=open_secret(
            hot_path.blob(item, "secret_sealed"), hot_path.blob(item, "data_key_sealed"), access_key
        ),
    )


def _app_record(item: Item | None) -> rules.AppRecord | None:
    if item is None:
        return None
    whitelist = tuple(hot_path.text_list(item, "whitelist"))
    return rules.AppRecord(
        app_id=hot_path.text(item, "app_id"),
        account_id=hot_path.text(item, "account_id"),
        enabled=hot_path.flag(item, "enabled", True),
        whitelist=whitelist,
        extension_json=json.dumps(hot_path.text_map(item, "extension"), ensure_ascii=False),
        networks=compile_whitelist(whitelist),
    )


def _route_record(item: Item | None) -> rules.RouteRecord | None:
    if item is None:
        return None
    return rules.RouteRecord(
        api_id=hot_path.text(item, "api_id"),
        account_id=hot_path.text(item, "account_id"),
        group=hot_path.text(item, "group") or None,
    )


def _grant(item: Item) -> rules.Grant:
    return rules.Grant(
        target=hot_path.text(item, "target"),
        stages=tuple(hot_path.text_list(item, "stages")),
        expires_at=hot_path.text(item, "expires_at") or None,
    )


class _Lookup(NamedTuple):
    """One cached value and the items it is made of when the cache misses."""

    cache_key: str
    requests: list[tuple[str, Item]]
    convert: Callable[[list[Item | None]], object]


def _cached(*lookups: _Lookup) -> list[object]:
    """Each lookup's value: from the cache, else all misses together in one BatchGetItem."""
    values: list[object] = []
    missing: list[int] = []
    for index, lookup in enumerate(lookups):
        hit, value = CACHE.peek(lookup.cache_key)
        values.append(value)
        if not hit:
            missing.append(index)
    requests = [request for index in missing for request in lookups[index].requests]
    items = hot_path.batch_get(requests) if requests else []
    for index in missing:
        lookup = lookups[index]
        own, items = items[: len(lookup.requests)], items[len(lookup.requests) :]
        values[index] = CACHE.put(lookup.cache_key, lookup.convert(own))
    return values


def _key_lookup(access_key: str) -> _Lookup:
    return _Lookup(
        "key:" + access_key,
        [("keys", {"access_key": {"S": access_key}})],
        lambda items: _key_record(items[0]),
    )


def _appcode_lookup(appcode: str) -> _Lookup:
    code_hash = rules.hash_appcode(appcode)
    return _Lookup(
        "appcode:" + code_hash,
        [("appcodes", {"code_hash": {"S": code_hash}})],
        lambda items: hot_path.text(items[0], "app_id") or None,
    )


def _route_lookup(route: str) -> _Lookup:
    return _Lookup(
        "route:" + route,
        [("routes", {"route": {"S": route}})],
        lambda items: _route_record(items[0]),
    )


def _load_identity(
    credentials: rules.Credentials, route: str
) -> tuple[rules.KeyRecord | None, str | None, rules.RouteRecord | None]:
    """The key (or the AppCode's app id) and the route, from cache or in one batch."""
    if credentials.mode == "signature":
        identity_lookup = _key_lookup(credentials.access_key)
    else:
        identity_lookup = _appcode_lookup(credentials.appcode)
    identity, route_record = _cached(identity_lookup, _route_lookup(route))
    key = identity if isinstance(identity, rules.KeyRecord) else None
    app_id = key.app_id if key else identity if isinstance(identity, str) else None
    return key, app_id, route_record if isinstance(route_record, rules.RouteRecord) else None


def _load_route(route: str) -> rules.RouteRecord | None:
    [record] = _cached(_route_lookup(route))
    return record if isinstance(record, rules.RouteRecord) else None


def _load_key(access_key: str) -> rules.KeyRecord | None:
    [record] = _cached(_key_lookup(access_key))
    return record if isinstance(record, rules.KeyRecord) else None


def _load_app_and_grants(
    app_id: str | None, route: rules.RouteRecord | None
) -> tuple[rules.AppRecord | None, list[rules.Grant]]:
    if app_id is None:
        return None, []
    targets = rules.grant_targets(app_id, route) if route else []
    app, grants = _cached(
        _Lookup(
            "app:" + app_id,
            [("apps", {"app_id": {"S": app_id}})],
            lambda items: _app_record(items[0]),
        ),
        _Lookup(
            f"grants:{app_id}:{','.join(targets)}",
            [("authorizations", {"app_id": {"S": app_id}, "target": {"S": t}}) for t in targets],
            lambda items: [_grant(item) for item in items if item is not None],
        ),
    )
    return (
        app if isinstance(app, rules.AppRecord) else None,
        list(grants) if isinstance(grants, list) else [],
    )


def _viewers(provider: str | None, caller: str | None) -> list[str]:
    viewers = [v for v in dict.fromkeys([provider, caller]) if v]
    return viewers or [UNATTRIBUTED]


def record_items(fields: dict[str, str | float | None], viewers: list[str]) -> list[Item]:
    """One call record item per viewer account, with the index attributes each query needs."""
    expires = int(time.time()) + settings().record_retention_days * 86400
    result = str(fields["result"])
    outcome = SUCCESS if result == SUCCESS else FAILURE
    items: list[Item] = []
    for viewer in viewers:
        item: Item = {
            "viewer": {"S": viewer},
            "sk": {"S": f"{fields['time']}#{fields['request_id']}"},
            "viewer_result": {"S": f"{viewer}#{result}"},
            "viewer_outcome": {"S": f"{viewer}#{outcome}"},
            "expires_at": {"N": str(expires)},
        }
        for index_attribute, source in (
            ("viewer_app", "app_id"),
            ("viewer_api", "api_id"),
            ("viewer_key", "access_key"),
        ):
            if fields.get(source):
                item[index_attribute] = {"S": f"{viewer}#{fields[source]}"}
        for name, value in fields.items():
            if isinstance(value, float):
                item[name] = {"N": f"{value:.3f}"}
            elif value:
                item[name] = {"S": value}
        items.append(item)
    return items


def verify_call(request: rules.CallRequest, started: float | None = None) -> Outcome:
    """Decide one call and write its record. Never raises for bad input."""
    started = time.perf_counter() if started is None else started
    now = utc_now()
    now_text = format_time(now)
    fields: dict[str, str | float | None] = {
        "request_id": request.request_id,
        "time": now_text,
        "method": request.method,
        "path": request.path,
        "source_ip": request.source_ip,
        "stage": rules.requested_stage(request)[:16],
    }
    credentials = rules.read_credentials(request)
    if isinstance(credentials, str):
        # Still attributed to the API's owner, who wants to see who knocks without a key.
        route = _load_route(request.route)
        fields.update(
            result=credentials,
            api_id=route.api_id if route else None,
            provider_account_id=route.account_id if route else None,
        )
        status = 401 if rules.sent_no_credentials(request) else 403
        message = "Invalid AppKey" if request.header("x-ca-signature") else ""
        viewers = _viewers(route.account_id if route else None, None)
        return _finish(fields, viewers, status, started, message_override=message)
    fields["auth_method"] = credentials.mode
    if credentials.mode == "signature":
        fields["access_key"] = credentials.access_key[:64]
    key, app_id, route = _load_identity(credentials, request.route)
    app, grants = _load_app_and_grants(app_id, route)
    decision = rules.decide(
        request,
        credentials,
        key,
        app,
        route,
        grants,
        now,
        now_text,
        settings().timestamp_tolerance_seconds,
    )
    fields.update(
        result=decision.verdict,
        app_id=app.app_id if app else None,
        api_id=route.api_id if route else None,
        caller_account_id=app.account_id if app else None,
        provider_account_id=route.account_id if route else None,
    )
    viewers = _viewers(route.account_id if route else None, app.account_id if app else None)
    fields["latency_ms"] = (time.perf_counter() - started) * 1000
    if decision.nonce is not None:
        # The signature verified: the nonce is used up whatever the later checks say, and
        # "nonce unused" comes before them, so a replay is NONCE_USED whatever else is wrong.
        nonce_key = f"{credentials.access_key}#{decision.nonce}"
        expires = int(time.time()) + 2 * settings().nonce_ttl_seconds
        records = record_items(fields, viewers)
        if not hot_path.consume_nonce_and_record(nonce_key, expires, records):
            fields["result"] = "NONCE_USED"
            return _finish(fields, viewers, 403, started)
    else:
        hot_path.put_records(record_items(fields, viewers))
    if decision.allowed:
        return _outcome(fields, viewers, decision, app, route)
    return _denied(fields, 403, string_to_sign=decision.string_to_sign)


def _outcome(
    fields: dict[str, str | float | None],
    viewers: list[str],
    decision: rules.Decision,
    app: rules.AppRecord | None,
    route: rules.RouteRecord | None,
) -> Outcome:
    assert app is not None and route is not None
    record_keys = ";".join(
        f"{viewer}|{fields['time']}#{fields['request_id']}" for viewer in viewers
    )
    context = {
        "app_id": app.app_id,
        "access_key": str(fields.get("access_key") or ""),
        "auth_method": str(fields["auth_method"]),
        "account_id": app.account_id,
        "provider_account_id": route.account_id,
        "api_id": route.api_id,
        "stage": str(fields["stage"]),
        "extension": app.extension_json,
        "request_id": str(fields["request_id"]),
        "record_keys": record_keys,
        "body_check": decision.body_check,
    }
    return Outcome(SUCCESS, 200, context)


def _finish(
    fields: dict[str, str | float | None],
    viewers: list[str],
    status: int,
    started: float,
    message_override: str = "",
    string_to_sign: str = "",
) -> Outcome:
    fields["latency_ms"] = (time.perf_counter() - started) * 1000
    hot_path.put_records(record_items(fields, viewers))
    return _denied(fields, status, message_override, string_to_sign)


def _denied(
    fields: dict[str, str | float | None],
    status: int,
    message_override: str = "",
    string_to_sign: str = "",
) -> Outcome:
    return Outcome(
        str(fields["result"]),
        status,
        {"request_id": str(fields["request_id"])},
        string_to_sign=string_to_sign,
        message=message_override,
    )


def check_body(request: rules.CallRequest, body: bytes, context: dict[str, str]) -> Outcome | None:
    """The last check, where the body is: form-parameter signature or Content-MD5.

    Returns the denial (after rewriting the call's records with its verdict), or None.
    """
    if context.get("auth_method") != "signature":
        return None
    verdict: str | None = None
    text = ""
    if context.get("body_check") == "form":
        verdict, text = _check_form_signature(request, body, context)
    else:
        declared = (request.header("content-md5") or "").strip()
        if (body or declared) and not hmac.compare_digest(
            declared.encode(), signing.content_md5(body).encode()
        ):
            verdict = "INVALID_CONTENT_MD5"
    if verdict is None:
        return None
    keys = [tuple(k.split("|", 1)) for k in context.get("record_keys", "").split(";") if k]
    hot_path.set_record_result([(v, s) for v, s in keys], verdict, FAILURE)
    return Outcome(verdict, 403, {}, text if verdict == "INVALID_SIGNATURE" else "")


def _charset(content_type: str | None) -> str:
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def _check_form_signature(
    request: rules.CallRequest, body: bytes, context: dict[str, str]
) -> tuple[str | None, str]:
    """The signature over query + form parameters, then the nonce (used up only now)."""
    key = _load_key(context.get("access_key", ""))
    if key is None:
        return "INVALID_KEY", ""
    form = signing.parse_form_body(body, _charset(request.header("content-type")))
    text = rules.string_to_sign(request, form)
    provided = request.header("x-ca-signature") or ""
    if not signing.signature_matches(provided, text, key.secret, rules.signature_method(request)):
        return "INVALID_SIGNATURE", text
    nonce = (request.header("x-ca-nonce") or "").strip()
    expires = int(time.time()) + 2 * settings().nonce_ttl_seconds
    if not hot_path.consume_nonce(f"{key.access_key}#{nonce}", expires):
        return "NONCE_USED", text
    return None, text


def reset_cache() -> None:
    CACHE.clear()
