"""The admin objects as values: what storage returns and the services work over.

The objects the authorizer holds too (apps, key pairs, AppCodes, gateways, authorizations)
are ``domain/objects.py``'s, re-exported here.

No item shapes here: storage turns its items into these and back. Times are the stored
ISO-8601 strings (``domain/clock.py``), so a value read and written back is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypedDict, TypeVar

from chalicelib.domain.errors import ValidationFailed
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
    """An authorization with each limited window's use now."""

    authorization: Authorization
    usage: Mapping[str, WindowUse]


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
