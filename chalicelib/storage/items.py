"""The item codec of the tables both sides read: one decoder and one encoder per table.

Plain functions over DynamoDB's JSON (``{"name": {"S": "..."}}``), standard library only: the
authorizer decodes with them on its hot path, which must not import PynamoDB (cold start),
and the admin side decodes and encodes with the same functions, so an item's attribute
names, defaults and types are written here once. The models (``storage/models.py``) declare
the tables (keys, indexes, TTL) and build the writes from these items; a test checks that
every item encoded here is one its model reads and writes back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.domain.limits import WINDOWS, Limit
from chalicelib.domain.objects import App, AppCode, Authorization, Gateway, KeyPair, Route

if TYPE_CHECKING:  # a frozen dataclass, admin only: not imported on the authorizer's path
    from chalicelib.domain.admin import Api

Item = dict[str, Any]

PREVIOUS_SECRET_SUFFIX = "#previous"  # no access key has a "#"
GATEWAYS_LISTED = "gateway"  # the one partition of the gateways' ``all`` index


# -- apps ------------------------------------------------------------------------------------


def app_of(item: Item) -> App:
    return App(
        app_id=_text(item, "app_id"),
        account_id=_text(item, "account_id"),
        name=_text(item, "name"),
        description=_text(item, "description"),
        tags=_text_map(item, "tags"),
        extension=_text_map(item, "extension"),
        enabled=_flag(item, "enabled", True),
        whitelist=tuple(_texts(item, "whitelist")),
        default_access_key=_text(item, "default_access_key"),
        created_at=_text(item, "created_at"),
        updated_at=_text(item, "updated_at"),
        last_used_at=_optional(item, "last_used_at"),
        call_count=_number(item, "call_count"),
    )


def app_item(app: App) -> Item:
    return _item(
        app_id=_s(app.app_id),
        account_id=_s(app.account_id),
        name=_s(app.name),
        description=_s(app.description),
        tags=_map(app.tags),
        extension=_map(app.extension),
        enabled=_bool(app.enabled),
        whitelist=_list(app.whitelist),
        default_access_key=_s(app.default_access_key),
        created_at=_s(app.created_at),
        updated_at=_s(app.updated_at),
        last_used_at=_s(app.last_used_at),
        call_count=_n(app.call_count),
    )


# -- keys ------------------------------------------------------------------------------------


def key_of(item: Item) -> KeyPair:
    """A key pair as stored: its secret sealed (``storage/sealing.py`` opens it)."""
    return KeyPair(
        access_key=_text(item, "access_key"),
        app_id=_text(item, "app_id"),
        account_id=_text(item, "account_id"),
        name=_text(item, "name"),
        enabled=_flag(item, "enabled", True),
        is_default=_flag(item, "is_default", False),
        created_at=_text(item, "created_at"),
        updated_at=_text(item, "updated_at"),
        secret_sealed=_bytes(item, "secret_sealed"),
        data_key_sealed=_bytes(item, "data_key_sealed"),
        last_used_at=_optional(item, "last_used_at"),
        call_count=_number(item, "call_count"),
        expires_at=_optional(item, "expires_at"),
        previous_secret_expires_at=_optional(item, "previous_secret_expires_at"),
    )


def key_item(key: KeyPair) -> Item:
    return _item(
        access_key=_s(key.access_key),
        app_id=_s(key.app_id),
        account_id=_s(key.account_id),
        name=_s(key.name),
        enabled=_bool(key.enabled),
        is_default=_bool(key.is_default),
        secret_sealed=_b(key.secret_sealed),
        data_key_sealed=_b(key.data_key_sealed),
        created_at=_s(key.created_at),
        updated_at=_s(key.updated_at),
        last_used_at=_s(key.last_used_at),
        call_count=_n(key.call_count),
        expires_at=_s(key.expires_at),
        previous_secret_expires_at=_s(key.previous_secret_expires_at),
    )


def previous_secret_key(access_key: str) -> str:
    """The keys table's item of a pair's previous secret, while a rotation's grace lasts."""
    return access_key + PREVIOUS_SECRET_SUFFIX


def previous_secret_item(key: KeyPair, expires_at: str, purge_at: int) -> Item:
    """``key``'s secret as its previous one until ``expires_at``; TTL removes the item at
    ``purge_at`` (epoch seconds)."""
    return _item(
        access_key=_s(previous_secret_key(key.access_key)),
        secret_sealed=_b(key.secret_sealed),
        data_key_sealed=_b(key.data_key_sealed),
        expires_at=_s(expires_at),
        purge_at=_n(purge_at),
    )


def sealed_secret_of(item: Item) -> tuple[bytes, bytes]:
    """The sealed secret and data key of a key pair's item or of its previous secret's."""
    return _bytes(item, "secret_sealed"), _bytes(item, "data_key_sealed")


# -- appcodes --------------------------------------------------------------------------------


def appcode_of(item: Item) -> AppCode:
    return AppCode(
        code_hash=_text(item, "code_hash"),
        appcode_id=_text(item, "appcode_id"),
        app_id=_text(item, "app_id"),
        account_id=_text(item, "account_id"),
        created_at=_text(item, "created_at"),
        expires_at=_optional(item, "expires_at"),
    )


def appcode_item(code: AppCode) -> Item:
    return _item(
        code_hash=_s(code.code_hash),
        appcode_id=_s(code.appcode_id),
        app_id=_s(code.app_id),
        account_id=_s(code.account_id),
        created_at=_s(code.created_at),
        expires_at=_s(code.expires_at),
    )


# -- gateways --------------------------------------------------------------------------------


def gateway_of(item: Item) -> Gateway:
    return Gateway(
        gateway_id=_text(item, "gateway_id"),
        account_id=_text(item, "account_id"),
        name=_text(item, "name"),
        base_url=_optional(item, "base_url"),
        checks_bodies=_flag(item, "checks_bodies", False),
        created_at=_text(item, "created_at"),
        updated_at=_text(item, "updated_at"),
    )


def gateway_item(gateway: Gateway) -> Item:
    """A new gateway's item: no API on it yet, listed in the ``all`` index."""
    return _item(
        gateway_id=_s(gateway.gateway_id),
        account_id=_s(gateway.account_id),
        name=_s(gateway.name),
        base_url=_s(gateway.base_url),
        checks_bodies=_bool(gateway.checks_bodies),
        api_count=_n(0),
        listed=_s(GATEWAYS_LISTED),
        created_at=_s(gateway.created_at),
        updated_at=_s(gateway.updated_at),
    )


# -- apis ------------------------------------------------------------------------------------


def api_of(item: Item) -> Api:
    from chalicelib.domain.admin import Api  # admin only: off the authorizer's import path

    return Api(
        api_id=_text(item, "api_id"),
        account_id=_text(item, "account_id"),
        gateway_id=_text(item, "gateway_id"),
        name=_text(item, "name"),
        method=_text(item, "method"),
        path=_text(item, "path"),
        group=_optional(item, "group"),
        description=_text(item, "description"),
        created_at=_text(item, "created_at"),
        updated_at=_text(item, "updated_at"),
    )


def api_item(api: Api) -> Item:
    return _item(
        api_id=_s(api.api_id),
        account_id=_s(api.account_id),
        gateway_id=_s(api.gateway_id),
        name=_s(api.name),
        method=_s(api.method),
        path=_s(api.path),
        group=_s(api.group),
        description=_s(api.description),
        created_at=_s(api.created_at),
        updated_at=_s(api.updated_at),
    )


# -- routes ----------------------------------------------------------------------------------


def route_of(item: Item) -> Route:
    return Route(
        api_id=_text(item, "api_id"),
        account_id=_text(item, "account_id"),
        group=_optional(item, "group"),
    )


def route_item(route_key: str, gateway_id: str, route: Route) -> Item:
    return _item(
        route=_s(route_key),
        gateway_id=_s(gateway_id),
        api_id=_s(route.api_id),
        account_id=_s(route.account_id),
        group=_s(route.group),
    )


# -- authorizations --------------------------------------------------------------------------


def authorization_of(item: Item) -> Authorization:
    limits = (item.get("limits") or {}).get("M", {})
    return Authorization(
        app_id=_text(item, "app_id"),
        target=_text(item, "target"),
        authorization_id=_text(item, "authorization_id"),
        provider_account_id=_text(item, "provider_account_id"),
        app_account_id=_text(item, "app_account_id"),
        api_id=_optional(item, "api_id"),
        group=_optional(item, "group"),
        stages=tuple(_texts(item, "stages")),
        expires_at=_optional(item, "expires_at"),
        limits=tuple(
            Limit(window, int(limits[window]["N"]))
            for window in WINDOWS
            if "N" in limits.get(window, {})
        ),
        created_at=_text(item, "created_at"),
        updated_at=_optional(item, "updated_at"),
    )


def authorization_item(grant: Authorization) -> Item:
    return _item(
        app_id=_s(grant.app_id),
        target=_s(grant.target),
        authorization_id=_s(grant.authorization_id),
        provider_account_id=_s(grant.provider_account_id),
        app_account_id=_s(grant.app_account_id),
        api_id=_s(grant.api_id),
        group=_s(grant.group),
        stages=_list(grant.stages),
        expires_at=_s(grant.expires_at),
        limits=_limits(grant.limits),
        created_at=_s(grant.created_at),
        updated_at=_s(grant.updated_at),
    )


def _limits(limits: tuple[Limit, ...]) -> Item:
    """An authorization's ``limits`` attribute: ``{"per_minute": 10, ...}``."""
    return {"M": {limit.window: {"N": str(limit.limit)} for limit in limits}}


# -- attribute values ------------------------------------------------------------------------


def _item(**values: Item | None) -> Item:
    """An item of the attributes that have a value (an absent one is None when read)."""
    return {name: value for name, value in values.items() if value is not None}


def _s(value: str | None) -> Item | None:
    return None if value is None else {"S": value}


def _n(value: int) -> Item:
    return {"N": str(value)}


def _b(value: bytes) -> Item:
    return {"B": bytes(value)}


def _bool(value: bool) -> Item:
    return {"BOOL": bool(value)}


def _list(values: tuple[str, ...]) -> Item:
    return {"L": [{"S": value} for value in values]}


def _map(values: Mapping[str, str]) -> Item:
    return {"M": {name: {"S": value} for name, value in values.items()}}


def _text(item: Item, name: str) -> str:
    value = item.get(name) or {}
    return str(value.get("S", ""))


def _optional(item: Item, name: str) -> str | None:
    return _text(item, name) or None


def _flag(item: Item, name: str, default: bool) -> bool:
    value = item.get(name)
    return bool(value["BOOL"]) if value and "BOOL" in value else default


def _number(item: Item, name: str) -> int:
    value = item.get(name) or {}
    return int(value.get("N", 0))


def _bytes(item: Item, name: str) -> bytes:
    value = item.get(name) or {}
    return bytes(value.get("B", b""))


def _texts(item: Item, name: str) -> list[str]:
    value = item.get(name) or {}
    return [entry["S"] for entry in value.get("L", []) if "S" in entry]


def _text_map(item: Item, name: str) -> dict[str, str]:
    value = item.get(name) or {}
    return {k: v["S"] for k, v in value.get("M", {}).items() if "S" in v}
