"""The objects the authorizer decides with and the admin API manages: one value per object.

The admin side reads, changes and writes them; the authorizer reads the same values (from the
same codec, ``storage/items.py``) and decides with them. NamedTuples rather than frozen
dataclasses: this module is on the authorizer's cold-start path, where a frozen dataclass
costs milliseconds to create at import (DESIGN budget). Times are the stored ISO-8601 strings
(``domain/clock.py``), compared as strings (fixed-width UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import IPv4Network
from typing import NamedTuple

from chalicelib.domain.limits import Limit


class App(NamedTuple):
    app_id: str
    account_id: str
    name: str
    description: str
    tags: Mapping[str, str]
    extension: Mapping[str, str]
    enabled: bool
    whitelist: tuple[str, ...]
    default_access_key: str
    created_at: str
    updated_at: str
    last_used_at: str | None = None
    call_count: int = 0
    # Where calls are decided, made once per cache fill (else left empty): the whitelist
    # parsed, and the extension as the backend receives it in the authorizer's context.
    networks: tuple[IPv4Network, ...] = ()
    extension_json: str = "{}"


class KeyPair(NamedTuple):
    """An access key and its secret, sealed as stored (envelope encryption,
    ``storage/sealing.py``); opened (``secret``, ``previous_secret``) only where calls are
    verified with it."""

    access_key: str
    app_id: str
    account_id: str
    name: str
    enabled: bool
    is_default: bool
    created_at: str
    updated_at: str
    secret_sealed: bytes
    data_key_sealed: bytes
    last_used_at: str | None = None
    call_count: int = 0
    expires_at: str | None = None  # past it: KEY_EXPIRED (the item stays)
    # During a rotation's grace the previous secret verifies too, until then.
    previous_secret_expires_at: str | None = None
    secret: str | None = None
    previous_secret: str | None = None
    # The pair's own identity, kept through a change of its access key: its grants and
    # whitelist follow it. "" on a pair stored before it had one: its first access key is.
    key_id: str = ""
    whitelist: tuple[str, ...] = ()  # the pair's own, checked besides the app's
    networks: tuple[IPv4Network, ...] = ()  # the whitelist parsed, once per cache fill

    @property
    def identity(self) -> str:
        return self.key_id or self.access_key

    def __repr__(self) -> str:
        return f"KeyPair(access_key={self.access_key!r}, app_id={self.app_id!r}, secret=<hidden>)"


class AppCode(NamedTuple):
    code_hash: str  # the code itself is never stored
    appcode_id: str
    app_id: str
    account_id: str
    created_at: str
    expires_at: str | None = None

    def __repr__(self) -> str:
        return f"AppCode(appcode_id={self.appcode_id!r}, app_id={self.app_id!r})"


class Gateway(NamedTuple):
    """An API Gateway REST or HTTP API (``requestContext.apiId``) bound to the account owning it."""

    gateway_id: str
    account_id: str
    name: str
    base_url: str | None
    # This deployment's own REST API (or the local run): its routes are this app's, whose
    # middleware sees the body and can verify form-parameter signatures.
    checks_bodies: bool
    created_at: str
    updated_at: str
    # "rest" (a REST API) or "http" (an HTTP API, API Gateway v2: CONTRACT 3.4).
    type: str = "rest"
    # An HTTP API's authorizer answers {"isAuthorized": ...} (EnableSimpleResponses), not a policy.
    simple_responses: bool = True


class Route(NamedTuple):
    """Which API a call is: the route item (``<gateway_id> <METHOD> <resource>``) of an API."""

    api_id: str
    account_id: str
    group: str | None


class Authorization(NamedTuple):
    """An app, or one of its key pairs (``key_id``), allowed to call one API, a provider's
    group or all its APIs (``target``)."""

    app_id: str
    # api#<api_id>, group#<provider>#<group> or all#<provider>; a key pair's own grant has
    # key#<key_id># before it (another target than the app's for the same APIs).
    target: str
    authorization_id: str
    provider_account_id: str
    app_account_id: str
    api_id: str | None
    group: str | None
    stages: tuple[str, ...]
    expires_at: str | None
    limits: tuple[Limit, ...]  # counted per UTC window
    created_at: str
    updated_at: str | None = None
    key_id: str | None = None  # the key pair's identity (KeyPair.identity) it belongs to

    @property
    def all_apis(self) -> bool:
        return self.covers.startswith("all#")

    @property
    def covers(self) -> str:
        """The target without the key pair's prefix: what APIs it covers."""
        if self.key_id is None:
            return self.target
        return self.target.removeprefix(key_target_prefix(self.key_id))


def key_target_prefix(key_id: str) -> str:
    """What a key pair's own grants' targets start with."""
    return f"key#{key_id}#"
