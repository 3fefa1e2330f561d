"""/v1/apps: apps, their whitelist, and adding key pairs and AppCodes to them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.http.admin import admin_route
from chalicelib.http.lazy_import import lazy_module
from chalicelib.http.views import (
    app_detail_view,
    app_view,
    appcode_view,
    created_app_view,
    key_view,
    page_view,
    whitelist_view,
)

if TYPE_CHECKING:
    from chalicelib.domain.principal import Principal
    from chalicelib.http import schemas
    from chalicelib.services import apps as service
else:
    service = lazy_module("chalicelib.services.apps")

bp = Blueprint(__name__)


@admin_route(
    bp, "/v1/apps", "POST", status=201, body="CreateApp", tag="apps", response="AppCreated"
)
def create_app(principal: Principal, body: schemas.CreateApp) -> dict[str, Any]:
    """Create an app with its default key pair; the secret is in keys[0] (shown here)."""
    return created_app_view(*service.create_app(principal, body.value()))


@admin_route(bp, "/v1/apps", "GET", query="AppFilter", tag="apps", response="AppList")
def list_apps(principal: Principal, query: schemas.AppFilter) -> dict[str, Any]:
    """List your apps; filter by name (substring) or tag=k:v."""
    apps = service.list_apps(principal, query.limit, query.cursor, query.name, query.tag)
    return page_view(apps, app_view)


@admin_route(bp, "/v1/apps/{app_id}", "GET", tag="apps", response="AppDetail")
def get_app(principal: Principal, app_id: str) -> dict[str, Any]:
    """One app with its whitelist, keys (secrets hidden), AppCode ids and authorizations."""
    return app_detail_view(service.get_app(principal, app_id))


@admin_route(bp, "/v1/apps/{app_id}", "PATCH", body="UpdateApp", tag="apps", response="AppView")
def update_app(principal: Principal, app_id: str, body: schemas.UpdateApp) -> dict[str, Any]:
    """Rename, describe, retag, change the extension, enable or disable an app."""
    return app_view(service.update_app(principal, app_id, body.changes()))


@admin_route(bp, "/v1/apps/{app_id}", "DELETE", status=204, tag="apps")
def delete_app(principal: Principal, app_id: str) -> None:
    """Delete a disabled app with its keys, AppCodes and authorizations (enabled: 409)."""
    service.delete_app(principal, app_id)


@admin_route(
    bp,
    "/v1/apps/{app_id}/copy",
    "POST",
    status=201,
    body="CopyApp",
    tag="apps",
    response="AppCopied",
)
def copy_app(principal: Principal, app_id: str, body: schemas.CopyApp) -> dict[str, Any]:
    """A new app with the same whitelist, tags, extension and authorizations, new keys."""
    return app_detail_view(*service.copy_app(principal, app_id, body.name))


@admin_route(
    bp,
    "/v1/apps/{app_id}/keys",
    "POST",
    status=201,
    body="CreateKey",
    tag="keys",
    response="KeyWithSecret",
)
def add_key(principal: Principal, app_id: str, body: schemas.CreateKey) -> dict[str, Any]:
    """Add a key pair to the app (optionally expiring); the secret is shown in this answer."""
    return key_view(
        *service.add_key(
            principal, app_id, body.access_key, body.name, body.expires_at, body.secret
        )
    )


@admin_route(
    bp,
    "/v1/apps/{app_id}/appcodes",
    "POST",
    status=201,
    body="CreateAppCode",
    tag="appcodes",
    response="AppCodeCreated",
)
def create_appcode(
    principal: Principal, app_id: str, body: schemas.CreateAppCode
) -> dict[str, Any]:
    """A new AppCode for simple authentication (custom or generated, may expire); the code is
    shown only here."""
    return appcode_view(*service.create_appcode(principal, app_id, body.expires_at, body.appcode))


@admin_route(
    bp,
    "/v1/appcodes/{appcode_id}",
    "PATCH",
    body="UpdateAppCode",
    tag="appcodes",
    response="AppCodeSummary",
)
def update_appcode(
    principal: Principal, appcode_id: str, body: schemas.UpdateAppCode
) -> dict[str, Any]:
    """Change an AppCode to a custom value (the old one stops) or its end date."""
    return appcode_view(service.update_appcode(principal, appcode_id, body.changes()))


@admin_route(bp, "/v1/appcodes/{appcode_id}", "DELETE", status=204, tag="appcodes")
def delete_appcode(principal: Principal, appcode_id: str) -> None:
    """Delete an AppCode."""
    service.delete_appcode(principal, appcode_id)


@admin_route(bp, "/v1/apps/{app_id}/whitelist", "GET", tag="whitelist", response="WhitelistView")
def get_whitelist(principal: Principal, app_id: str) -> dict[str, Any]:
    """The app's IP whitelist; empty means any address."""
    return whitelist_view(app_id, service.get_whitelist(principal, app_id))


@admin_route(
    bp,
    "/v1/apps/{app_id}/whitelist",
    "PUT",
    body="Whitelist",
    tag="whitelist",
    response="WhitelistView",
)
def put_whitelist(principal: Principal, app_id: str, body: schemas.Whitelist) -> dict[str, Any]:
    """Replace the whitelist: up to 50 IPv4 addresses, ranges (192.168.1.*) or CIDRs."""
    return whitelist_view(app_id, service.put_whitelist(principal, app_id, body.entries))
