"""The item codec of the admin tables: each table's attributes declared once, read and written
by one generic pair of functions.

Plain data over DynamoDB's JSON (``{"name": {"S": "..."}}``), standard library only: the
authorizer decodes with it on its hot path, which must not import PynamoDB (cold start), and
the admin side decodes and encodes with the same declarations, so an item's attribute names,
defaults and types are written here once. The models (``storage/models.py``) declare the
tables (keys, indexes, TTL) and build the writes from these items; ``tests/unit/test_items.py``
checks each declaration against its model (same names, DynamoDB types and nullability) and
that the model writes every item encoded here back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.domain.limits import WINDOWS, Limit
from chalicelib.domain.objects import App, AppCode, Authorization, Gateway, KeyPair, Route

if TYPE_CHECKING:  # frozen dataclasses, admin only: not imported on the authorizer's path
    from chalicelib.domain.admin import Account, Api, Token

Item = dict[str, Any]

PREVIOUS_SECRET_SUFFIX = "#previous"  # no access key has a "#"
GATEWAYS_LISTED = "gateway"  # the one partition of the gateways' ``all`` index
ACCOUNTS_LISTED = "account"  # the one partition of the accounts' ``all`` index


class Kind:
    """How one attribute is stored: its DynamoDB type, whether it may be absent (null), how
    its value is read (from the attribute, or None when absent) and written (None: left out).
    A plain class, not a NamedTuple: this module is on the authorizer's cold-start path."""

    __slots__ = ("type", "null", "read", "write")

    def __init__(
        self,
        type: str,
        null: bool,
        read: Callable[[Item | None], Any],
        write: Callable[[Any], Item | None],
    ) -> None:
        self.type, self.null, self.read, self.write = type, null, read, write


def _text(value: Item | None) -> str:
    return str(value.get("S", "")) if value else ""


def _s(value: str | None) -> Item | None:
    return None if value is None else {"S": value}


def _flag(default: bool) -> Kind:
    def read(value: Item | None) -> bool:
        return bool(value["BOOL"]) if value and "BOOL" in value else default

    return Kind("BOOL", False, read, lambda flag: {"BOOL": bool(flag)})


TEXT = Kind("S", False, _text, _s)
OPTIONAL_TEXT = Kind("S", True, lambda value: _text(value) or None, _s)
NUMBER = Kind(
    "N", False, lambda value: int(value.get("N", 0)) if value else 0, lambda n: {"N": str(n)}
)
BYTES = Kind(
    "B",
    False,
    lambda value: bytes(value.get("B", b"")) if value else b"",
    lambda b: {"B": bytes(b)},
)
ENABLED = _flag(True)
FLAG = _flag(False)
TEXTS = Kind(
    "L",
    False,
    lambda value: tuple(e["S"] for e in (value or {}).get("L", []) if "S" in e),
    lambda texts: {"L": [{"S": text} for text in texts]},
)
TEXT_MAP = Kind(
    "M",
    False,
    lambda value: {k: v["S"] for k, v in (value or {}).get("M", {}).items() if "S" in v},
    lambda texts: {"M": {name: {"S": text} for name, text in texts.items()}},
)


def _read_limits(value: Item | None) -> tuple[Limit, ...]:
    limits = (value or {}).get("M", {})
    return tuple(
        Limit(window, int(limits[window]["N"]))
        for window in WINDOWS
        if "N" in limits.get(window, {})
    )


# An authorization's ``limits``: ``{"per_minute": 10, ...}``, read in the windows' order.
LIMITS = Kind(
    "M",
    False,
    _read_limits,
    lambda limits: {"M": {limit.window: {"N": str(limit.limit)} for limit in limits}},
)


class Table:
    """The attributes of one table's items that a value holds, each under its field's name."""

    __slots__ = ("attributes",)

    def __init__(self, attributes: Mapping[str, Kind]) -> None:
        self.attributes = attributes

    def read(self, item: Item) -> dict[str, Any]:
        """The fields of the value an item holds."""
        return {name: kind.read(item.get(name)) for name, kind in self.attributes.items()}

    def write(self, value: Any, **extra: Item) -> Item:
        """The item of a value (an attribute whose value is None is left out), with ``extra``
        attributes the value does not hold."""
        item = {name: kind.write(getattr(value, name)) for name, kind in self.attributes.items()}
        return {name: v for name, v in item.items() if v is not None} | extra


APPS = Table(
    {
        "app_id": TEXT,
        "account_id": TEXT,
        "name": TEXT,
        "description": TEXT,
        "tags": TEXT_MAP,
        "extension": TEXT_MAP,
        "enabled": ENABLED,
        "whitelist": TEXTS,
        "default_access_key": TEXT,
        "created_at": TEXT,
        "updated_at": TEXT,
        "last_used_at": OPTIONAL_TEXT,
        "call_count": NUMBER,
    }
)
KEYS = Table(  # a key pair as stored: its secret sealed (``storage/sealing.py`` opens it)
    {
        "access_key": TEXT,
        "app_id": TEXT,
        "account_id": TEXT,
        "name": TEXT,
        "enabled": ENABLED,
        "is_default": FLAG,
        "secret_sealed": BYTES,
        "data_key_sealed": BYTES,
        "created_at": TEXT,
        "updated_at": TEXT,
        "last_used_at": OPTIONAL_TEXT,
        "call_count": NUMBER,
        "expires_at": OPTIONAL_TEXT,
        "previous_secret_expires_at": OPTIONAL_TEXT,
        "key_id": TEXT,
        "whitelist": TEXTS,
    }
)
APPCODES = Table(
    {
        "code_hash": TEXT,
        "appcode_id": TEXT,
        "app_id": TEXT,
        "account_id": TEXT,
        "created_at": TEXT,
        "expires_at": OPTIONAL_TEXT,
    }
)
GATEWAYS = Table(
    {
        "gateway_id": TEXT,
        "account_id": TEXT,
        "name": TEXT,
        "base_url": OPTIONAL_TEXT,
        "checks_bodies": FLAG,
        "created_at": TEXT,
        "updated_at": TEXT,
        "type": Kind("S", False, lambda value: _text(value) or "rest", _s),
        "simple_responses": ENABLED,
    }
)
APIS = Table(
    {
        "api_id": TEXT,
        "account_id": TEXT,
        "gateway_id": TEXT,
        "name": TEXT,
        "method": TEXT,
        "path": TEXT,
        "group": OPTIONAL_TEXT,
        "description": TEXT,
        "created_at": TEXT,
        "updated_at": TEXT,
    }
)
ROUTES = Table({"api_id": TEXT, "account_id": TEXT, "group": OPTIONAL_TEXT})
AUTHORIZATIONS = Table(
    {
        "app_id": TEXT,
        "target": TEXT,
        "authorization_id": TEXT,
        "provider_account_id": TEXT,
        "app_account_id": TEXT,
        "api_id": OPTIONAL_TEXT,
        "group": OPTIONAL_TEXT,
        "stages": TEXTS,
        "expires_at": OPTIONAL_TEXT,
        "limits": LIMITS,
        "created_at": TEXT,
        "updated_at": OPTIONAL_TEXT,
        "key_id": OPTIONAL_TEXT,
    }
)
ACCOUNTS = Table({"account_id": TEXT, "name": TEXT, "created_at": TEXT})
TOKENS = Table(
    {
        "token_hash": TEXT,
        "token_id": TEXT,
        "account_id": TEXT,
        "name": TEXT,
        "is_root": FLAG,
        "created_at": TEXT,
    }
)


# -- the tables' values and items ------------------------------------------------------------


def app_of(item: Item) -> App:
    return App(**APPS.read(item))


def app_item(app: App) -> Item:
    return APPS.write(app)


def key_of(item: Item) -> KeyPair:
    return KeyPair(**KEYS.read(item))


def key_item(key: KeyPair) -> Item:
    return KEYS.write(key)


def previous_secret_key(access_key: str) -> str:
    """The keys table's item of a pair's previous secret, while a rotation's grace lasts."""
    return access_key + PREVIOUS_SECRET_SUFFIX


def previous_secret_item(key: KeyPair, expires_at: str, purge_at: int) -> Item:
    """``key``'s secret as its previous one until ``expires_at``; TTL removes the item at
    ``purge_at`` (epoch seconds)."""
    return {
        "access_key": {"S": previous_secret_key(key.access_key)},
        "secret_sealed": {"B": key.secret_sealed},
        "data_key_sealed": {"B": key.data_key_sealed},
        "expires_at": {"S": expires_at},
        "purge_at": {"N": str(purge_at)},
    }


def sealed_secret_of(item: Item) -> tuple[bytes, bytes]:
    """The sealed secret and data key of a key pair's item or of its previous secret's."""
    return BYTES.read(item.get("secret_sealed")), BYTES.read(item.get("data_key_sealed"))


def appcode_of(item: Item) -> AppCode:
    return AppCode(**APPCODES.read(item))


def appcode_item(code: AppCode) -> Item:
    return APPCODES.write(code)


def gateway_of(item: Item) -> Gateway:
    return Gateway(**GATEWAYS.read(item))


def gateway_item(gateway: Gateway) -> Item:
    """A new gateway's item: no API on it yet, listed in the ``all`` index."""
    return GATEWAYS.write(gateway, api_count={"N": "0"}, listed={"S": GATEWAYS_LISTED})


def route_of(item: Item) -> Route:
    return Route(**ROUTES.read(item))


def route_item(route_key: str, gateway_id: str, route: Route) -> Item:
    return ROUTES.write(route, route={"S": route_key}, gateway_id={"S": gateway_id})


def authorization_of(item: Item) -> Authorization:
    return Authorization(**AUTHORIZATIONS.read(item))


def authorization_item(grant: Authorization) -> Item:
    return AUTHORIZATIONS.write(grant)


# -- admin-only tables: their values are imported where they are read, off the hot path ----


def api_of(item: Item) -> Api:
    from chalicelib.domain.admin import Api

    return Api(**APIS.read(item))


def api_item(api: Api) -> Item:
    return APIS.write(api)


def account_of(item: Item) -> Account:
    from chalicelib.domain.admin import Account

    return Account(**ACCOUNTS.read(item))


def account_item(account: Account) -> Item:
    """A new account's item: no key pair yet, listed in the ``all`` index."""
    return ACCOUNTS.write(account, key_count={"N": "0"}, listed={"S": ACCOUNTS_LISTED})


def token_of(item: Item) -> Token:
    from chalicelib.domain.admin import Token

    return Token(**TOKENS.read(item))


def token_item(token: Token) -> Item:
    return TOKENS.write(token)
