"""The JSON the admin API answers with, built from domain values (one function per object).

No secret leaves through a view unless the caller passes it in: a key pair's secret, a token's
or an AppCode's value appear only in the answer that issues them (or a logged reveal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.domain.clock import format_time, utc_now

if TYPE_CHECKING:
    from chalicelib.domain.admin import (
        ApiOnGateway,
        App,
        AppCode,
        AppDetail,
        AuditEvent,
        Authorization,
        Gateway,
        GrantInUse,
        KeyPair,
        Page,
        Token,
    )

T = TypeVar("T")
View = dict[str, Any]


def page_view(page: Page[T], view: Callable[[T], View]) -> View:
    return {"items": [view(item) for item in page.items], "next_cursor": page.next_cursor}


def token_view(token: Token, value: str | None = None) -> View:
    view: View = {
        "token_id": token.token_id,
        "name": token.name,
        "account_id": token.account_id,
        "is_root": token.is_root,
        "created_at": token.created_at,
    }
    if value is not None:
        view["token"] = value
    return view


def app_view(app: App) -> View:
    return {
        "app_id": app.app_id,
        "account_id": app.account_id,
        "name": app.name,
        "description": app.description,
        "tags": dict(app.tags),
        "extension": dict(app.extension),
        "enabled": app.enabled,
        "whitelist": list(app.whitelist),
        "default_access_key": app.default_access_key,
        "created_at": app.created_at,
        "updated_at": app.updated_at,
        "last_used_at": app.last_used_at,
        "call_count": app.call_count,
    }


def app_detail_view(detail: AppDetail) -> View:
    return {
        **app_view(detail.app),
        "keys": [key_view(key) for key in detail.keys],
        "appcodes": [appcode_view(code) for code in detail.appcodes],
        "authorizations": [authorization_view(grant) for grant in detail.authorizations],
    }


def key_view(key: KeyPair, secret: str | None = None) -> View:
    view: View = {
        "access_key": key.access_key,
        "app_id": key.app_id,
        "name": key.name,
        "enabled": key.enabled,
        "is_default": key.is_default,
        "created_at": key.created_at,
        "updated_at": key.updated_at,
        "last_used_at": key.last_used_at,
        "call_count": key.call_count,
        "expires_at": key.expires_at,
        "previous_secret_expires_at": _live_grace(key),
    }
    if secret is not None:
        view["secret"] = secret
    return view


def _live_grace(key: KeyPair) -> str | None:
    """When the previous secret stops verifying, while it still does."""
    until = key.previous_secret_expires_at
    return until if until and until > format_time(utc_now()) else None


def appcode_view(code: AppCode) -> View:
    return {
        "appcode_id": code.appcode_id,
        "app_id": code.app_id,
        "created_at": code.created_at,
        "expires_at": code.expires_at,
    }


def gateway_view(gateway: Gateway) -> View:
    return {
        "gateway_id": gateway.gateway_id,
        "account_id": gateway.account_id,
        "name": gateway.name,
        "base_url": gateway.base_url,
        "checks_bodies": gateway.checks_bodies,
        "created_at": gateway.created_at,
        "updated_at": gateway.updated_at,
    }


def api_view(placed: ApiOnGateway) -> View:
    api, gateway = placed
    base_url = (gateway.base_url or "").rstrip("/") if gateway else ""
    return {
        "api_id": api.api_id,
        "account_id": api.account_id,
        "gateway_id": api.gateway_id,
        "name": api.name,
        "method": api.method,
        "path": api.path,
        "group": api.group,
        "description": api.description,
        "call_url": base_url + api.path if base_url else None,
        "created_at": api.created_at,
        "updated_at": api.updated_at,
    }


def authorization_fields(grant: Authorization) -> View:
    """What an authorization grants, without its ids, times or use."""
    return {
        "app_id": grant.app_id,
        "provider_account_id": grant.provider_account_id,
        "api_id": grant.api_id,
        "group": grant.group,
        "all": grant.all_apis,
        "stages": list(grant.stages),
        "expires_at": grant.expires_at,
        "limits": {limit.window: limit.limit for limit in grant.limits},
    }


def authorization_view(granted: GrantInUse) -> View:
    grant, usage = granted
    return {
        "authorization_id": grant.authorization_id,
        **authorization_fields(grant),
        # Each window's use now: {"per_minute": {"limit", "used", "remaining", "resets_at"}}.
        "usage": _plain(usage),
        "created_at": grant.created_at,
        "updated_at": grant.updated_at or grant.created_at,
    }


def _plain(usage: Mapping[str, Mapping[str, Any]]) -> View:
    return {window: dict(use) for window, use in usage.items()}


def event_view(event: AuditEvent) -> View:
    return {
        "event_id": event.event_id,
        "time": format_time(event.at),
        "account_id": event.account_id,
        "token_id": event.token_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": dict(event.changes),
    }
