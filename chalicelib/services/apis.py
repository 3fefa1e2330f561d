"""The account's APIs (method + path template) and the authorizations to call them."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.verification import STAGES, route_key
from chalicelib.services.accounts import Principal, owned
from chalicelib.services.apps import find_app
from chalicelib.services.audit import audit_event
from chalicelib.services.gateways import gateways_by_id, only_gateway, owned_gateway
from chalicelib.storage.counters import limits_of, usage
from chalicelib.storage.models import ApiModel, AuthorizationModel, GatewayModel, RouteModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, page
from chalicelib.storage.transactions import atomic


def _now() -> str:
    return format_time(utc_now())


def _route_taken(api: ApiModel) -> Conflict:
    return Conflict(f"{api.method} {api.path} is already registered on gateway {api.gateway_id}")


def _gateway_gone(gateway_id: str) -> NotFound:
    return NotFound(f"gateway {gateway_id} not found")


def api_view(api: ApiModel, gateway: GatewayModel | None) -> dict[str, Any]:
    base_url = (gateway.base_url or "").rstrip("/") if gateway else ""
    return {
        "api_id": api.api_id,
        "account_id": api.account_id,
        "gateway_id": api.gateway_id,
        "name": api.name,
        "method": api.method,
        "path": api.path,
        "group": api.group,
        "description": api.description or "",
        "call_url": base_url + api.path if base_url else None,
        "created_at": api.created_at,
        "updated_at": api.updated_at,
    }


def _views(apis: list[ApiModel]) -> list[dict[str, Any]]:
    gateways = gateways_by_id({api.gateway_id for api in apis})
    return [api_view(api, gateways.get(api.gateway_id)) for api in apis]


def owned_api(principal: Principal, api_id: str) -> ApiModel:
    return owned(ApiModel, api_id, principal, "api")


def _route_item(api: ApiModel) -> RouteModel:
    return RouteModel(
        route_key(api.gateway_id, api.method, api.path),
        gateway_id=api.gateway_id,
        api_id=api.api_id,
        account_id=api.account_id,
        group=api.group,
    )


def create_api(
    principal: Principal,
    name: str,
    method: str,
    path: str,
    gateway_id: str | None = None,
    group: str | None = None,
    description: str = "",
) -> dict[str, Any]:
    gateway = owned_gateway(principal, gateway_id) if gateway_id else only_gateway(principal)
    now = _now()
    api = ApiModel(
        "api-" + secrets.token_hex(8),
        account_id=principal.account_id,
        gateway_id=gateway.gateway_id,
        name=name,
        method=method.upper(),
        path=path,
        group=group,
        description=description,
        created_at=now,
        updated_at=now,
    )
    with atomic() as tx:
        # The gateway must still be the account's when the API lands (root may rebind it).
        tx.condition_check(
            GatewayModel,
            gateway.gateway_id,
            condition=GatewayModel.account_id == principal.account_id,
            failure=_gateway_gone(gateway.gateway_id),
        )
        tx.save(api, condition=ApiModel.api_id.does_not_exist())
        tx.save(
            _route_item(api),
            condition=RouteModel.route.does_not_exist(),
            failure=_route_taken(api),
        )
        tx.save(audit_event(principal, "api.create", api.api_id, _api_fields(api)))
    return api_view(api, gateway)


def _api_fields(api: ApiModel) -> dict[str, Any]:
    fields = api_view(api, None)
    return {k: fields[k] for k in ("gateway_id", "name", "method", "path", "group", "description")}


def list_apis(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    start = decode_cursor(cursor, {"account_id", "api_id"}, {"account_id": principal.account_id})
    results = ApiModel.by_account.query(principal.account_id, limit=limit, last_evaluated_key=start)
    items, last = page(results, limit)
    return {"items": _views(items), "next_cursor": encode_cursor(last)}


def get_api(principal: Principal, api_id: str) -> dict[str, Any]:
    return _views([owned_api(principal, api_id)])[0]


def update_api(principal: Principal, api_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    api = owned_api(principal, api_id)
    old_route = _route_item(api)
    if "method" in changes:
        changes["method"] = str(changes["method"]).upper()
    for name, value in changes.items():
        setattr(api, name, value)
    api.updated_at = _now()
    new_route = _route_item(api)
    with atomic() as tx:
        tx.save(api, condition=ApiModel.account_id == principal.account_id)
        if new_route.route == old_route.route:
            tx.save(new_route)
        else:
            tx.save(
                new_route, condition=RouteModel.route.does_not_exist(), failure=_route_taken(api)
            )
            tx.delete(old_route)
        tx.save(audit_event(principal, "api.update", api_id, changes))
    return _views([api])[0]


def delete_api(principal: Principal, api_id: str) -> None:
    api = owned_api(principal, api_id)
    with atomic() as tx:
        tx.delete(api)
        tx.delete(_route_item(api))
        tx.save(audit_event(principal, "api.delete", api_id, _api_fields(api)))
    for grant in AuthorizationModel.by_provider.query(
        principal.account_id, filter_condition=AuthorizationModel.api_id == api_id
    ):
        grant.delete()


def authorization_view(
    grant: AuthorizationModel, usage: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    limits = limits_of(grant.limits)
    return {
        "authorization_id": grant.authorization_id,
        "app_id": grant.app_id,
        "provider_account_id": grant.provider_account_id,
        "api_id": grant.api_id,
        "group": grant.group,
        "all": grant.target.startswith("all#"),
        "stages": list(grant.stages),
        "expires_at": grant.expires_at,
        "limits": {limit.window: limit.limit for limit in limits},
        # Each window's use now: {"per_minute": {"limit", "used", "remaining", "resets_at"}}.
        "usage": (usage or {}).get(grant.authorization_id, {}),
        "created_at": grant.created_at,
        "updated_at": grant.updated_at or grant.created_at,
    }


def authorization_views(grants: list[AuthorizationModel]) -> list[dict[str, Any]]:
    """Views of several authorizations, their counters read in one batch."""
    limited = [(g.authorization_id, limits_of(g.limits)) for g in grants]
    current = usage(limited, utc_now())
    return [authorization_view(grant, current) for grant in grants]


def _stored_limits(limits: dict[str, int] | None) -> dict[str, int]:
    return {window: int(value) for window, value in (limits or {}).items() if value is not None}


def create_authorization(
    principal: Principal,
    app_id: str,
    api_id: str | None,
    group: str | None,
    all_apis: bool,
    stages: list[str] | None,
    expires_at: datetime | None,
    limits: dict[str, int] | None = None,
) -> dict[str, Any]:
    chosen = [name for name, value in (("api_id", api_id), ("group", group)) if value]
    if all_apis:
        chosen.append("all")
    if len(chosen) != 1:
        raise ValidationFailed(
            "give exactly one of api_id, group or all=true (got "
            + (", ".join(chosen) or "none")
            + ")",
            "api_id",
        )
    if expires_at is not None and expires_at <= utc_now():
        raise ValidationFailed("must be in the future", "expires_at")
    # The app may belong to any account (cross-account grants); only its existence is checked.
    app = find_app(app_id)
    if app is None:
        raise NotFound(f"app {app_id} not found")
    if api_id:
        owned_api(principal, api_id)
        target = f"api#{api_id}"
    elif group:
        target = f"group#{principal.account_id}#{group}"
    else:
        target = f"all#{principal.account_id}"
    now = _now()
    grant = AuthorizationModel(
        app_id,
        target,
        authorization_id="auth-" + secrets.token_hex(8),
        provider_account_id=principal.account_id,
        app_account_id=app.account_id,
        api_id=api_id,
        group=group,
        stages=list(dict.fromkeys(stages)) if stages else list(STAGES),
        expires_at=format_time(expires_at) if expires_at else None,
        limits=_stored_limits(limits),
        created_at=now,
        updated_at=now,
    )
    fields = authorization_view(grant)
    event = audit_event(
        principal,
        "authorization.create",
        grant.authorization_id,
        {
            k: v
            for k, v in fields.items()
            if k not in ("authorization_id", "created_at", "updated_at", "usage")
        },
    )
    with atomic() as tx:
        tx.save(
            grant,
            condition=AuthorizationModel.target.does_not_exist(),
            failure=Conflict(
                "this app is already authorized for that target; revoke the old authorization"
            ),
        )
        tx.save(event)
    # Nothing of the app but its id: it may be another account's (CONTRACT.md 2). Each
    # limited window starts unused.
    return authorization_views([grant])[0]


def _granted(principal: Principal, authorization_id: str) -> AuthorizationModel:
    for grant in AuthorizationModel.by_id.query(authorization_id):
        if grant.provider_account_id == principal.account_id:
            return grant
    raise NotFound(f"authorization {authorization_id} not found")


def update_authorization(
    principal: Principal, authorization_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change stages, end date or limits; a field sent as null clears it (stages: all)."""
    grant = _granted(principal, authorization_id)
    new: dict[str, Any] = {}
    if "stages" in changes:
        stages = changes["stages"]
        new["stages"] = list(dict.fromkeys(stages)) if stages else list(STAGES)
    if "expires_at" in changes:
        new["expires_at"] = format_time(changes["expires_at"]) if changes["expires_at"] else None
    if "limits" in changes:
        new["limits"] = _stored_limits(changes["limits"])
    if new:
        new["updated_at"] = _now()
        actions = [
            getattr(AuthorizationModel, name).set(value)
            if value is not None
            else getattr(AuthorizationModel, name).remove()
            for name, value in new.items()
        ]
        recorded = {k: format_time(v) if isinstance(v, datetime) else v for k, v in changes.items()}
        with atomic() as tx:
            tx.update(
                grant,
                actions=actions,
                condition=AuthorizationModel.provider_account_id == principal.account_id,
                failure=NotFound(f"authorization {authorization_id} not found"),
            )
            tx.save(audit_event(principal, "authorization.update", authorization_id, recorded))
        # What was written, without reading it back.
        for name, value in new.items():
            setattr(grant, name, value)
    return authorization_views([grant])[0]


def list_authorizations(
    principal: Principal,
    app_id: str | None,
    api_id: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    start = decode_cursor(
        cursor,
        {"provider_account_id", "authorization_id", "app_id", "target"},
        {"provider_account_id": principal.account_id},
    )
    condition = None
    if app_id:
        condition = AuthorizationModel.app_id == app_id
    if api_id:
        api_condition = AuthorizationModel.api_id == api_id
        condition = api_condition if condition is None else condition & api_condition
    results = AuthorizationModel.by_provider.query(
        principal.account_id, filter_condition=condition, limit=limit, last_evaluated_key=start
    )
    items, last = page(results, limit)
    return {"items": authorization_views(items), "next_cursor": encode_cursor(last)}


def revoke_authorization(principal: Principal, authorization_id: str) -> None:
    grant = _granted(principal, authorization_id)
    with atomic() as tx:
        tx.delete(grant)
        tx.save(
            audit_event(
                principal,
                "authorization.delete",
                authorization_id,
                {"app_id": grant.app_id, "target": grant.target},
            )
        )
