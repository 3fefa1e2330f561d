"""What the authorizer reads: keys, AppCodes, gateways, routes, apps and authorizations.

Bare botocore (PynamoDB costs cold-start time), batched, and cached per warm container for
``APIAUTH_CACHE_TTL_SECONDS``. It returns domain records; attribute names are those of
``storage/models.py``. Cold, a call costs two BatchGetItems (key or AppCode + gateway +
routes; app + candidate authorizations); warm, none.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from chalicelib.config import settings
from chalicelib.domain import verification as rules
from chalicelib.domain.ip_rules import compile_whitelist
from chalicelib.domain.limits import WINDOWS, Limit
from chalicelib.storage import clients
from chalicelib.storage.sealing import open_secret

Item = dict[str, Any]


class _TtlCache:
    """Per-container cache; a TTL of 0 disables it (tests), so changes show at once."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, object]] = {}

    def put(self, key: str, value: object) -> object:
        if settings().cache_ttl_seconds > 0:
            if len(self._entries) > 10_000:  # bounded: a flood of unknown keys cannot grow it
                self._entries.clear()
            self._entries[key] = (time.monotonic(), value)
        return value

    def peek(self, key: str, now: float, ttl: float) -> tuple[bool, object]:
        hit = self._entries.get(key)
        if ttl > 0 and hit is not None and now - hit[0] < ttl:
            return True, hit[1]
        return False, None

    def clear(self) -> None:
        self._entries.clear()


_CACHE = _TtlCache()


def reset_cache() -> None:
    _CACHE.clear()


class AppCodeRecord(NamedTuple):
    app_id: str
    expires_at: str | None


class Identity(NamedTuple):
    """What the first batch finds: the key (or the AppCode's app), the gateway, the route."""

    key: rules.KeyRecord | None
    app_id: str | None
    gateway: rules.GatewayRecord | None
    route: rules.RouteRecord | None
    appcode_expires_at: str | None = None


def load_identity(credentials: rules.Credentials | None, request: rules.CallRequest) -> Identity:
    """Key or AppCode, gateway and route from the cache, or all misses in one BatchGetItem.

    ``credentials`` None: only the gateway and route (to attribute a call without a key).
    """
    lookups = [_gateway_lookup(request.gateway_id), *map(_route_lookup, request.routes)]
    if credentials is not None and credentials.mode == "signature":
        lookups.append(_key_lookup(credentials.access_key))
    elif credentials is not None:
        lookups.append(_appcode_lookup(credentials.appcode))
    gateway, exact_route, any_route, *identity = _cached(lookups)
    found = identity[0] if identity else None
    key = found if isinstance(found, rules.KeyRecord) else None
    appcode = found if isinstance(found, AppCodeRecord) else None
    route = exact_route or any_route
    return Identity(
        key,
        key.app_id if key else appcode.app_id if appcode else None,
        gateway if isinstance(gateway, rules.GatewayRecord) else None,
        route if isinstance(route, rules.RouteRecord) else None,
        appcode.expires_at if appcode else None,
    )


def load_app_and_grants(
    app_id: str | None, route: rules.RouteRecord | None
) -> tuple[rules.AppRecord | None, list[rules.Grant]]:
    """The app and the authorizations that could cover a call to ``route``, in one batch."""
    if app_id is None:
        return None, []
    targets = rules.grant_targets(app_id, route) if route else []
    app, grants = _cached(
        [
            _Lookup(
                "app:" + app_id,
                lambda: [("apps", {"app_id": {"S": app_id}})],
                lambda items: _app_record(items[0]),
            ),
            _Lookup(
                f"grants:{app_id}:{','.join(targets)}",
                lambda: [
                    ("authorizations", {"app_id": {"S": app_id}, "target": {"S": target}})
                    for target in targets
                ],
                lambda items: [_grant(item) for item in items if item is not None],
            ),
        ]
    )
    return (
        app if isinstance(app, rules.AppRecord) else None,
        list(grants) if isinstance(grants, list) else [],
    )


# -- lookups ---------------------------------------------------------------------------------


class _Lookup(NamedTuple):
    """One cached value, and on a miss the items it is made of and how."""

    cache_key: str
    requests: Callable[[], list[tuple[str, Item]]]  # built only on a miss
    convert: Callable[[list[Item | None]], object]


def _cached(lookups: Sequence[_Lookup]) -> list[object]:
    """Each lookup's value: from the cache, else all misses together in one BatchGetItem."""
    values: list[object] = []
    missing: list[tuple[int, list[tuple[str, Item]]]] = []
    now, ttl = time.monotonic(), settings().cache_ttl_seconds
    for index, lookup in enumerate(lookups):
        hit, value = _CACHE.peek(lookup.cache_key, now, ttl)
        values.append(value)
        if not hit:
            missing.append((index, lookup.requests()))
    if not missing:
        return values
    items = _batch_get([request for _, requests in missing for request in requests])
    for index, requests in missing:
        own, items = items[: len(requests)], items[len(requests) :]
        values[index] = _CACHE.put(lookups[index].cache_key, lookups[index].convert(own))
    return values


def _key_lookup(access_key: str) -> _Lookup:
    # The previous secret (a rotation's grace) comes in the same batch, under its own key.
    return _Lookup(
        "key:" + access_key,
        lambda: [
            ("keys", {"access_key": {"S": access_key}}),
            ("keys", {"access_key": {"S": f"{access_key}#previous"}}),
        ],
        lambda items: _key_record(items[0], items[1]),
    )


def _appcode_lookup(appcode: str) -> _Lookup:
    code_hash = rules.hash_appcode(appcode)
    return _Lookup(
        "appcode:" + code_hash,
        lambda: [("appcodes", {"code_hash": {"S": code_hash}})],
        lambda items: _appcode_record(items[0]),
    )


def _gateway_lookup(gateway_id: str) -> _Lookup:
    return _Lookup(
        "gateway:" + gateway_id,
        # An event without apiId looks up an id no gateway can have ("#" is never bound).
        lambda: [("gateways", {"gateway_id": {"S": gateway_id or "#none"}})],
        lambda items: _gateway_record(items[0]),
    )


def _route_lookup(route: str) -> _Lookup:
    return _Lookup(
        "route:" + route,
        lambda: [("routes", {"route": {"S": route}})],
        lambda items: _route_record(items[0]),
    )


# -- items to domain records -----------------------------------------------------------------


def _key_record(item: Item | None, previous: Item | None) -> rules.KeyRecord | None:
    if item is None:
        return None
    access_key = _text(item, "access_key")
    previous_expires_at = _text(item, "previous_secret_expires_at") or None
    return rules.KeyRecord(
        access_key=access_key,
        app_id=_text(item, "app_id"),
        account_id=_text(item, "account_id"),
        enabled=_flag(item, "enabled", True),
        secret=_open(item, access_key),
        expires_at=_text(item, "expires_at") or None,
        previous_secret=_open(previous, access_key) if previous and previous_expires_at else None,
        previous_expires_at=previous_expires_at,
    )


def _open(item: Item, access_key: str) -> str:
    return open_secret(
        bytes(item["secret_sealed"]["B"]), bytes(item["data_key_sealed"]["B"]), access_key
    )


def _appcode_record(item: Item | None) -> AppCodeRecord | None:
    if item is None or not _text(item, "app_id"):
        return None
    return AppCodeRecord(_text(item, "app_id"), _text(item, "expires_at") or None)


def _app_record(item: Item | None) -> rules.AppRecord | None:
    if item is None:
        return None
    whitelist = tuple(_text_list(item, "whitelist"))
    extension = {k: v["S"] for k, v in item.get("extension", {}).get("M", {}).items() if "S" in v}
    return rules.AppRecord(
        app_id=_text(item, "app_id"),
        account_id=_text(item, "account_id"),
        enabled=_flag(item, "enabled", True),
        whitelist=whitelist,
        extension_json=json.dumps(extension, ensure_ascii=False),
        networks=compile_whitelist(whitelist),
    )


def _gateway_record(item: Item | None) -> rules.GatewayRecord | None:
    if item is None:
        return None
    return rules.GatewayRecord(
        gateway_id=_text(item, "gateway_id"),
        account_id=_text(item, "account_id"),
        checks_bodies=_flag(item, "checks_bodies", False),
    )


def _route_record(item: Item | None) -> rules.RouteRecord | None:
    if item is None:
        return None
    return rules.RouteRecord(
        api_id=_text(item, "api_id"),
        account_id=_text(item, "account_id"),
        group=_text(item, "group") or None,
    )


def _grant(item: Item) -> rules.Grant:
    limits = (item.get("limits") or {}).get("M", {})
    return rules.Grant(
        target=_text(item, "target"),
        stages=tuple(_text_list(item, "stages")),
        expires_at=_text(item, "expires_at") or None,
        authorization_id=_text(item, "authorization_id"),
        limits=tuple(
            Limit(window, int(limits[window]["N"]))
            for window in WINDOWS
            if "N" in limits.get(window, {})
        ),
    )


def _text(item: Item | None, name: str) -> str:
    value = (item or {}).get(name) or {}
    return str(value.get("S", ""))


def _flag(item: Item, name: str, default: bool) -> bool:
    value = item.get(name)
    return bool(value["BOOL"]) if value and "BOOL" in value else default


def _text_list(item: Item, name: str) -> list[str]:
    value = item.get(name) or {}
    return [entry["S"] for entry in value.get("L", []) if "S" in entry]


# -- DynamoDB --------------------------------------------------------------------------------


def _batch_get(requests: Sequence[tuple[str, Item]]) -> list[Item | None]:
    """Get items from several tables in one BatchGetItem; None where an item is absent."""
    wanted: dict[str, list[Item]] = {}
    for table, key in requests:
        keys = wanted.setdefault(settings().table_name(table), [])
        if key not in keys:
            keys.append(key)
    found: list[tuple[str, Item]] = []
    pending: dict[str, Any] = {
        table: {"Keys": keys, "ConsistentRead": True} for table, keys in wanted.items()
    }
    for attempt in range(5):
        response = clients.dynamodb().batch_get_item(RequestItems=pending)
        for table, items in response.get("Responses", {}).items():
            found.extend((table, item) for item in items)
        pending = response.get("UnprocessedKeys") or {}
        if not pending:
            break
        time.sleep(0.01 * 2**attempt)
    if pending:
        # Never read "not found" (and cache it) from a throttled read: fail the call instead.
        raise RuntimeError("BatchGetItem left keys unprocessed after 5 attempts")
    return [_match(found, settings().table_name(table), key) for table, key in requests]


def _match(found: Iterable[tuple[str, Item]], table: str, key: Item) -> Item | None:
    for found_table, item in found:
        if found_table == table and all(item.get(name) == value for name, value in key.items()):
            return item
    return None

