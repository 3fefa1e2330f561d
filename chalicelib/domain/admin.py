"""The admin objects as values: what storage returns and the services work over.

The objects the authorizer holds too (apps, key pairs, AppCodes, gateways, authorizations)
are ``domain/objects.py``'s, re-exported here.

No item shapes here: storage turns its items into these and back. Times are the stored
ISO-8601 strings (``domain/clock.py``), so a value read and written back is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any, Final, Generic, Literal, NamedTuple, TypedDict, TypeVar

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.limits import Limit
from chalicelib.domain.objects import App as App
from chalicelib.domain.objects import AppCode as AppCode
from chalicelib.domain.objects import Authorization as Authorization
from chalicelib.domain.objects import Gateway as Gateway
from chalicelib.domain.objects import KeyPair as KeyPair

T = TypeVar("T")

MAX_KEYS_PER_ACCOUNT = 500
MAX_TAG_FILTER_COLONS = 8


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing and the opaque cursor of the next (None at the end)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    created_at: str


class NewAccount(TypedDict):
    """An account just created and its first admin token, shown this once."""

    account_id: str
    name: str
    token: str


@dataclass(frozen=True)
class Token:
    """An admin token as stored: its SHA-256 hash, never its value."""

    token_hash: str = field(repr=False)
    token_id: str
    account_id: str
    name: str
    is_root: bool
    created_at: str


class IssuedToken(NamedTuple):
    """A token just stored and its value, which is shown this once."""

    token: Token
    value: str


class NewKey(NamedTuple):
    """A key pair just stored and its secret, which is shown in this answer."""

    key: KeyPair
    secret: str


class IssuedAppCode(NamedTuple):
    """An AppCode just stored and the code, which is shown this once."""

    appcode: AppCode
    value: str


@dataclass(frozen=True)
class AppDetail:
    app: App
    keys: list[KeyPair]
    appcodes: list[AppCode]
    authorizations: list[GrantInUse]
    # Other accounts' APIs the app's grants cover (by grant id): what its owner may call, where.
    granted_apis: list[tuple[str, ApiOnGateway]] = field(default_factory=list)


@dataclass(frozen=True)
class Api:
    api_id: str
    account_id: str
    gateway_id: str
    name: str
    method: str
    path: str
    group: str | None
    description: str
    created_at: str
    updated_at: str


class ApiOnGateway(NamedTuple):
    api: Api
    gateway: Gateway | None  # its base URL gives the API a call URL


# Per window of a limit: {"limit", "used", "remaining", "resets_at"}.
WindowUse = Mapping[str, Any]


class GrantInUse(NamedTuple):
    """An authorization with each limited window's use now; a key pair's own grant with the
    pair's access key now (it follows the pair through a change of access key)."""

    authorization: Authorization
    usage: Mapping[str, WindowUse]
    access_key: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    """One admin write or secret reveal, by a token of ``account_id``."""

    event_id: str
    account_id: str
    token_id: str
    action: str  # <object_type>.<verb>
    object_type: str
    object_id: str
    changes: Mapping[str, Any]  # the fields changed, never a secret
    at: datetime  # to the microsecond: one caller's quick writes keep their order
    expires_at: datetime  # when retention ends (the table's TTL removes it)


# -- what an admin write asks for: the values the HTTP layer hands the services -----------------


class _Keep(Enum):
    KEEP = "keep"


# "Not given" in a change where None means "clear it" (PATCH {"expires_at": null}).
KEEP: Final = _Keep.KEEP
Keep = Literal[_Keep.KEEP]


def given(changes: object) -> dict[str, Any]:
    """The fields a change value sets, by name: those neither KEEP nor, where None cannot
    clear the field, None."""
    clearable: frozenset[str] = getattr(changes, "CLEARABLE", frozenset())
    return {
        f.name: value
        for f in fields(changes)  # type: ignore[arg-type]
        if (value := getattr(changes, f.name)) is not KEEP
        and (value is not None or f.name in clearable)
    }


@dataclass(frozen=True)
class NewApp:
    name: str
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    extension: Mapping[str, str] = field(default_factory=dict)
    access_key: str | None = None  # None: one is generated
    whitelist: tuple[str, ...] = ()
    secret: str | None = None  # a custom AppSecret; None: one is generated


@dataclass(frozen=True)
class AppChanges:
    """A PATCH of an app: None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    tags: Mapping[str, str] | None = None
    extension: Mapping[str, str] | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class KeyChanges:
    """A PATCH of a key pair: None leaves a field as it is; ``expires_at`` None clears it."""

    CLEARABLE = frozenset({"expires_at"})

    name: str | None = None
    enabled: bool | None = None
    access_key: str | None = None  # a new value comes with a new secret
    expires_at: datetime | None | Keep = KEEP
    secret: str | None = None  # a custom secret (with a new access key: its secret)


@dataclass(frozen=True)
class AppCodeChanges:
    """A PATCH of an AppCode: a new (custom) code, and ``expires_at`` (None clears it)."""

    CLEARABLE = frozenset({"expires_at"})

    appcode: str | None = None
    expires_at: datetime | None | Keep = KEEP


@dataclass(frozen=True)
class NewApi:
    name: str
    method: str
    path: str
    gateway_id: str | None = None  # None: the account's only gateway
    group: str | None = None
    description: str = ""


@dataclass(frozen=True)
class ApiChanges:
    """A PATCH of an API: None leaves a field as it is."""

    name: str | None = None
    method: str | None = None
    path: str | None = None
    group: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class NewGateway:
    gateway_id: str
    account_id: str
    name: str = ""
    base_url: str | None = None
    type: str = "rest"
    simple_responses: bool | None = None  # an http gateway's; None: the default (true)


@dataclass(frozen=True)
class GatewayChanges:
    """A PATCH of a gateway: None leaves a field as it is; ``base_url`` None clears it."""

    CLEARABLE = frozenset({"base_url"})

    account_id: str | None = None
    name: str | None = None
    base_url: str | None | Keep = KEEP
    type: str | None = None
    simple_responses: bool | None = None


@dataclass(frozen=True)
class NewAuthorization:
    """An app (``app_id``) or one key pair (``access_key``) allowed to call exactly one of: an
    API, a group of the granting account's APIs, or all of them; in ``stages`` (empty: every
    stage) until ``expires_at`` (None: no end)."""

    app_id: str | None = None
    api_id: str | None = None
    group: str | None = None
    all_apis: bool = False
    stages: tuple[str, ...] = ()
    expires_at: datetime | None = None
    limits: tuple[Limit, ...] = ()
    access_key: str | None = None  # instead of app_id: that key pair's own grant


@dataclass(frozen=True)
class AuthorizationChanges:
    """A PATCH of an authorization: KEEP leaves a field as it is; None clears it (stages:
    every stage, expires_at: no end, limits: none)."""

    CLEARABLE = frozenset({"stages", "expires_at", "limits"})

    stages: tuple[str, ...] | None | Keep = KEEP
    expires_at: datetime | None | Keep = KEEP
    limits: tuple[Limit, ...] | None | Keep = KEEP


def tag_filter(tag: str) -> list[tuple[str, str]]:
    """Every ``(key, value)`` a ``k:v`` filter may mean: a colon may be in the key or the
    value, so each split at a colon is a candidate."""
    splits = [i for i, char in enumerate(tag) if char == ":" and i > 0]
    if not splits or len(splits) > MAX_TAG_FILTER_COLONS:
        raise ValidationFailed(
            f"must be k:v with a non-empty key and at most {MAX_TAG_FILTER_COLONS} colons",
            "tag",
        )
    return [(tag[:at], tag[at + 1 :]) for at in splits]
