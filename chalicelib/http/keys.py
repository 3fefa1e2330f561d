"""/v1/keys/{access_key}: one key pair."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.http.admin import admin_route
from chalicelib.http.lazy_import import lazy_module
from chalicelib.http.views import key_view, key_whitelist_view

if TYPE_CHECKING:
    from chalicelib.domain.principal import Principal
    from chalicelib.http import schemas
    from chalicelib.services import keys as service
else:
    service = lazy_module("chalicelib.services.keys")

bp = Blueprint(__name__)


@admin_route(bp, "/v1/keys/{access_key}", "GET", query="KeyQuery", tag="keys", response="KeyView")
def get_key(principal: Principal, access_key: str, query: schemas.KeyQuery) -> dict[str, Any]:
    """One key pair; the secret only with reveal=true (written to the audit log)."""
    return key_view(*service.get_key(principal, access_key, query.reveal))


@admin_route(bp, "/v1/keys/{access_key}", "PATCH", body="UpdateKey", tag="keys", response="KeyView")
def update_key(principal: Principal, access_key: str, body: schemas.UpdateKey) -> dict[str, Any]:
    """Rename, enable/disable, set or clear the expiry, or change the access key (new secret)."""
    return key_view(*service.update_key(principal, access_key, body.changes()))


@admin_route(
    bp,
    "/v1/keys/{access_key}/reset-secret",
    "POST",
    body="ResetSecret",
    tag="keys",
    response="KeyWithSecret",
)
def reset_secret(
    principal: Principal, access_key: str, body: schemas.ResetSecret
) -> dict[str, Any]:
    """Issue a new secret; the old one stops validating now, or after grace_seconds."""
    return key_view(*service.reset_secret(principal, access_key, body.grace_seconds))


@admin_route(bp, "/v1/keys/{access_key}/end-grace", "POST", tag="keys", response="KeyView")
def end_grace(principal: Principal, access_key: str) -> dict[str, Any]:
    """End a rotation's grace: the previous secret stops verifying now."""
    return key_view(service.end_grace(principal, access_key))


@admin_route(bp, "/v1/keys/{access_key}", "DELETE", status=204, tag="keys")
def delete_key(principal: Principal, access_key: str) -> None:
    """Delete a disabled, non-default key pair (else 409)."""
    service.delete_key(principal, access_key)


@admin_route(
    bp, "/v1/keys/{access_key}/whitelist", "GET", tag="whitelist", response="KeyWhitelistView"
)
def get_key_whitelist(principal: Principal, access_key: str) -> dict[str, Any]:
    """The key pair's own IP whitelist (besides the app's); empty: no extra restriction."""
    return key_whitelist_view(service.get_whitelist(principal, access_key))


@admin_route(
    bp,
    "/v1/keys/{access_key}/whitelist",
    "PUT",
    body="Whitelist",
    tag="whitelist",
    response="KeyWhitelistView",
)
def put_key_whitelist(
    principal: Principal, access_key: str, body: schemas.Whitelist
) -> dict[str, Any]:
    """Replace the key pair's own whitelist: a call signed with it must pass both lists."""
    return key_whitelist_view(service.put_whitelist(principal, access_key, body.entries))
