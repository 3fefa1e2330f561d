"""The JSON the admin API answers with: each answer model (``chalicelib/http/schemas``) reads
its fields from a domain value; a view gives only what is computed or nested.

No secret leaves through a view unless the caller passes it in: a key pair's secret, a token's
or an AppCode's value appear only in the answer that issues them (or a logged reveal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.limits import limits_map
from chalicelib.http.lazy_import import lazy_module

if TYPE_CHECKING:
    from chalicelib.domain.admin import (
        ApiOnGateway,
        App,
        AppCode,
        AppDetail,
        AuditEvent,
        Gateway,
        GrantInUse,
        KeyPair,
        NewAccount,
        NewKey,
        Page,
        Token,
    )
    from chalicelib.http import schemas
else:
    schemas = lazy_module("chalicelib.http.schemas")  # pydantic: once an admin route answers

T = TypeVar("T")
View = dict[str, Any]


def page_view(page: Page[T], view: Callable[[T], View]) -> View:
    return {"items": [view(item) for item in page.items], "next_cursor": page.next_cursor}


def account_view(account: NewAccount) -> View:
    return schemas.AccountCreated.of(None, **account)


def token_view(token: Token, value: str | None = None) -> View:
    if value is None:
        return schemas.TokenView.of(token)
    return schemas.TokenCreated.of(token, token=value)


def app_view(app: App) -> View:
    return schemas.AppView.of(app)


def created_app_view(app: App, key: KeyPair, secret: str) -> View:
    return schemas.AppCreated.of(app, keys=[key_view(key, secret)])


def app_detail_view(detail: AppDetail, new_key: NewKey | None = None) -> View:
    """The app with its keys, AppCode ids and grants; a copy shows its new key pair instead."""
    shape = schemas.AppCopied if new_key else schemas.AppDetail
    return shape.of(
        detail.app,
        keys=[key_view(*new_key)] if new_key else [key_view(key) for key in detail.keys],
        appcodes=[appcode_view(code) for code in detail.appcodes],
        authorizations=[authorization_view(grant) for grant in detail.authorizations],
        granted_apis=[granted_api_view(*granted) for granted in detail.granted_apis],
    )


def granted_api_view(authorization_id: str, placed: ApiOnGateway) -> View:
    return schemas.GrantedApiView.of(
        placed.api, authorization_id=authorization_id, call_url=api_view(placed)["call_url"]
    )


def key_view(key: KeyPair, secret: str | None = None) -> View:
    issued = {} if secret is None else {"secret": secret}
    return schemas.KeyView.of(
        key,
        key_id=key.identity,
        whitelist=list(key.whitelist),
        previous_secret_expires_at=_live_grace(key),
        **issued,
    )


def _live_grace(key: KeyPair) -> str | None:
    """When the previous secret stops verifying, while it still does."""
    until = key.previous_secret_expires_at
    return until if until and until > format_time(utc_now()) else None


def appcode_view(code: AppCode, value: str | None = None) -> View:
    if value is None:
        return schemas.AppCodeSummary.of(code)
    return schemas.AppCodeCreated.of(code, appcode=value)


def whitelist_view(app_id: str, entries: Sequence[str]) -> View:
    return schemas.WhitelistView.of(None, app_id=app_id, entries=list(entries))


def key_whitelist_view(key: KeyPair) -> View:
    return schemas.KeyWhitelistView.of(key, entries=list(key.whitelist))


def gateway_view(gateway: Gateway) -> View:
    simple = gateway.simple_responses if gateway.type == "http" else None
    return schemas.GatewayView.of(gateway, simple_responses=simple)


def api_view(placed: ApiOnGateway) -> View:
    api, gateway = placed
    base_url = (gateway.base_url or "").rstrip("/") if gateway else ""
    return schemas.ApiView.of(api, call_url=base_url + api.path if base_url else None)


def authorization_view(granted: GrantInUse) -> View:
    grant, usage, access_key = granted
    return schemas.AuthorizationView.of(
        grant,
        access_key=access_key,
        all=grant.all_apis,
        limits=limits_map(grant.limits),
        usage=_plain(usage),
        updated_at=grant.updated_at or grant.created_at,
    )


def _plain(usage: Mapping[str, Mapping[str, Any]]) -> View:
    return {window: dict(use) for window, use in usage.items()}


def event_view(event: AuditEvent) -> View:
    return schemas.AuditEvent.of(event, time=format_time(event.at), changes=dict(event.changes))
