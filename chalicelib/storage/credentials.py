"""What the authorizer reads: keys, AppCodes, gateways, routes, apps and authorizations.

Bare botocore (PynamoDB costs cold-start time), batched, and cached per warm container for
``APIAUTH_CACHE_TTL_SECONDS``. It decodes with the tables' one codec (``storage/items.py``)
into the domain's objects, the same the admin side reads. Cold, a call costs two BatchGetItems
(key or AppCode + gateway + routes; app + candidate authorizations); warm, none.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from chalicelib.config import settings
from chalicelib.domain import verification as rules
from chalicelib.domain.ip_rules import compile_whitelist
from chalicelib.domain.objects import App, AppCode, Authorization, Gateway, KeyPair, Route
from chalicelib.domain.route_matching import CATCH_ALL, RouteTemplate, match_route
from chalicelib.storage import clients, items, reads
from chalicelib.storage.sealing import open_secret
from chalicelib.storage.ttl_cache import TtlCache

Item = dict[str, Any]


_CACHE = TtlCache()


def reset_cache() -> None:
    _CACHE.clear()


class Identity(NamedTuple):
    """What the first batch finds: the key (or the AppCode's app), the gateway, the route."""

    key: KeyPair | None  # its secrets opened
    app_id: str | None
    gateway: Gateway | None
    route: Route | None
    appcode_expires_at: str | None = None


def load_identity(credentials: rules.Credentials | None, request: rules.CallRequest) -> Identity:
    """Key or AppCode, gateway and route from the cache, or all misses in one BatchGetItem.

    ``credentials`` None: only the gateway and route (to attribute a call without a key).
    A call to the catch-all route (``$default``) is matched against the gateway's registered
    APIs, read with one Query by gateway after the batch (cached like the rest).
    """
    catch_all = request.resource == CATCH_ALL
    route_lookups = [] if catch_all else [_route_lookup(route) for route in request.routes]
    lookups = [_gateway_lookup(request.gateway_id), *route_lookups]
    if credentials is not None and credentials.mode == "signature":
        lookups.append(_key_lookup(credentials.access_key))
    elif credentials is not None:
        lookups.append(_appcode_lookup(credentials.appcode))
    gateway, *found_values = _cached(lookups)
    routes, identity = found_values[: len(route_lookups)], found_values[len(route_lookups) :]
    found = identity[0] if identity else None
    key = found if isinstance(found, KeyPair) else None
    appcode = found if isinstance(found, AppCode) else None
    if catch_all:
        templates = _gateway_templates(request.gateway_id) if gateway else ()
        route: object = match_route(request.method, request.route_path, templates)
    else:
        route = next((route for route in routes if route), None)
    return Identity(
        key,
        key.app_id if key else appcode.app_id if appcode else None,
        gateway if isinstance(gateway, Gateway) else None,
        route if isinstance(route, Route) else None,
        appcode.expires_at if appcode else None,
    )


def load_app_and_grants(
    app_id: str | None, route: Route | None, key_id: str | None = None
) -> tuple[App | None, list[Authorization]]:
    """The app and the authorizations that could cover a call to ``route`` (the app's, and
    with ``key_id`` that key pair's own), in one batch."""
    if app_id is None:
        return None, []
    targets = rules.grant_targets(app_id, route, key_id) if route else []
    app, grants = _cached(
        [
            _Lookup(
                "app:" + app_id,
                lambda: [("apps", {"app_id": {"S": app_id}})],
                lambda found: _app(found[0]),
            ),
            _Lookup(
                f"grants:{app_id}:{','.join(targets)}",
                lambda: [
                    ("authorizations", {"app_id": {"S": app_id}, "target": {"S": target}})
                    for target in targets
                ],
                lambda found: [items.authorization_of(item) for item in found if item],
            ),
        ]
    )
    return (
        app if isinstance(app, App) else None,
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
    found = _batch_get([request for _, requests in missing for request in requests])
    for index, requests in missing:
        own, found = found[: len(requests)], found[len(requests) :]
        values[index] = _CACHE.put(lookups[index].cache_key, lookups[index].convert(own))
    return values


def _key_lookup(access_key: str) -> _Lookup:
    # The previous secret (a rotation's grace) comes in the same batch, under its own key.
    return _Lookup(
        "key:" + access_key,
        lambda: [
            ("keys", {"access_key": {"S": access_key}}),
            ("keys", {"access_key": {"S": items.previous_secret_key(access_key)}}),
        ],
        lambda found: _key(found[0], found[1]),
    )


def _appcode_lookup(appcode: str) -> _Lookup:
    code_hash = rules.hash_appcode(appcode)
    return _Lookup(
        "appcode:" + code_hash,
        lambda: [("appcodes", {"code_hash": {"S": code_hash}})],
        lambda found: _appcode(found[0]),
    )


def _gateway_lookup(gateway_id: str) -> _Lookup:
    return _Lookup(
        "gateway:" + gateway_id,
        # An event without apiId looks up an id no gateway can have ("#" is never bound).
        lambda: [("gateways", {"gateway_id": {"S": gateway_id or "#none"}})],
        lambda found: found[0] and items.gateway_of(found[0]),
    )


def _route_lookup(route: str) -> _Lookup:
    return _Lookup(
        "route:" + route,
        lambda: [("routes", {"route": {"S": route}})],
        lambda found: found[0] and items.route_of(found[0]),
    )


def _gateway_templates(gateway_id: str) -> tuple[RouteTemplate, ...]:
    """The APIs registered on a gateway, for its catch-all route: a Query of the apis table's
    ``by_gateway`` index (never a Scan), cached for the TTL like every other lookup."""
    cache_key = "templates:" + gateway_id
    hit, value = _CACHE.peek(cache_key, time.monotonic(), settings().cache_ttl_seconds)
    if hit and isinstance(value, tuple):
        return value
    query = reads.query("apis", "by_gateway", {"gateway_id": gateway_id})
    query["ProjectionExpression"] = "api_id, account_id, #method, #path, #group"
    query["ExpressionAttributeNames"].update(
        {"#method": "method", "#path": "path", "#group": "group"}
    )
    templates = []
    for item in reads.query_all(query):
        api = items.APIS.read(item)
        route = Route(api["api_id"], api["account_id"], api["group"])
        templates.append(RouteTemplate(api["method"].upper(), api["path"], route))
    found = tuple(templates)
    _CACHE.put(cache_key, found)
    return found


# -- items to what the decision reads ------------------------------------------------------


def _key(item: Item | None, previous: Item | None) -> KeyPair | None:
    """The key pair with its secrets opened (the previous one while its grace lasts)."""
    if item is None:
        return None
    key = items.key_of(item)
    in_grace = previous is not None and key.previous_secret_expires_at is not None
    return key._replace(
        networks=compile_whitelist(key.whitelist),
        secret=open_secret(key.secret_sealed, key.data_key_sealed, key.access_key),
        previous_secret=_open(previous, key.access_key) if previous and in_grace else None,
    )


def _open(item: Item, access_key: str) -> str:
    return open_secret(*items.sealed_secret_of(item), access_key)


def _appcode(item: Item | None) -> AppCode | None:
    code = items.appcode_of(item) if item is not None else None
    return code if code is not None and code.app_id else None


def _app(item: Item | None) -> App | None:
    if item is None:
        return None
    app = items.app_of(item)
    return app._replace(
        networks=compile_whitelist(app.whitelist),
        extension_json=json.dumps(dict(app.extension), ensure_ascii=False),
    )


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
        for table, table_items in response.get("Responses", {}).items():
            found.extend((table, item) for item in table_items)
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
