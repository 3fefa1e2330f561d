"""The account's APIs (method + path template) and the authorizations to call them."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain.admin import Api, ApiOnGateway, Authorization, GrantInUse, Page
from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.limits import WINDOWS, Limit
from chalicelib.domain.principal import Principal, owned
from chalicelib.domain.verification import STAGES
from chalicelib.services.audit import audit_event
from chalicelib.services.gateways import gateways_by_id, only_gateway, owned_gateway
from chalicelib.storage import apis as store
from chalicelib.storage import apps, gateways
from chalicelib.storage.audit import record
from chalicelib.storage.counters import usage
from chalicelib.storage.transactions import write


def _now() -> str:
    return format_time(utc_now())


def _placed(apis: list[Api]) -> list[ApiOnGateway]:
    """Each API with its gateway (for its call URL), each gateway read once."""
    found = gateways_by_id({api.gateway_id for api in apis})
    return [ApiOnGateway(api, found.get(api.gateway_id)) for api in apis]


def owned_api(principal: Principal, api_id: str) -> Api:
    return owned(store.get_api(api_id), principal, "api", api_id)


def _api_fields(api: Api) -> dict[str, Any]:
    return {
        "gateway_id": api.gateway_id,
        "name": api.name,
        "method": api.method,
        "path": api.path,
        "group": api.group,
        "description": api.description,
    }


def create_api(
    principal: Principal,
    name: str,
    method: str,
    path: str,
    gateway_id: str | None = None,
    group: str | None = None,
    description: str = "",
) -> ApiOnGateway:
    gateway = owned_gateway(principal, gateway_id) if gateway_id else only_gateway(principal)
    now = _now()
    api = Api(
        api_id="api-" + secrets.token_hex(8),
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
    write(
        # The gateway must still be the account's when the API lands (root may rebind it).
        gateways.count_api(gateway.gateway_id, principal.account_id, +1),
        store.insert_api(api),
        record(audit_event(principal, "api.create", api.api_id, _api_fields(api))),
    )
    return ApiOnGateway(api, gateway)


def list_apis(principal: Principal, limit: int, cursor: str | None) -> Page[ApiOnGateway]:
    found = store.list_apis(principal.account_id, limit, cursor)
    return Page(_placed(found.items), found.next_cursor)


def get_api(principal: Principal, api_id: str) -> ApiOnGateway:
    return _placed([owned_api(principal, api_id)])[0]


def update_api(principal: Principal, api_id: str, changes: dict[str, Any]) -> ApiOnGateway:
    api = owned_api(principal, api_id)
    if "method" in changes:
        changes["method"] = str(changes["method"]).upper()
    changed = replace(api, **changes, updated_at=_now())
    write(
        store.replace_api(api, changed),
        record(audit_event(principal, "api.update", api_id, changes)),
    )
    return _placed([changed])[0]


def delete_api(principal: Principal, api_id: str) -> None:
    api = owned_api(principal, api_id)
    write(
        store.delete_api(api),
        gateways.count_api(api.gateway_id, principal.account_id, -1),
        record(audit_event(principal, "api.delete", api_id, _api_fields(api))),
    )
    store.delete_authorizations_naming(principal.account_id, api_id)


def in_use(grants: list[Authorization]) -> list[GrantInUse]:
    """The authorizations with their limits' use now, the counters read in one batch."""
    current = usage([(g.authorization_id, g.limits) for g in grants], utc_now())
    return [GrantInUse(grant, current.get(grant.authorization_id, {})) for grant in grants]


def _limits(given: Mapping[str, int | None] | None) -> tuple[Limit, ...]:
    values = given or {}
    return tuple(
        Limit(window, int(value)) for window in WINDOWS if (value := values.get(window)) is not None
    )


def _stages(given: list[str] | None) -> tuple[str, ...]:
    """The stages named, each once; none named: every stage."""
    return tuple(dict.fromkeys(given)) if given else tuple(STAGES)


def create_authorization(
    principal: Principal,
    app_id: str,
    api_id: str | None,
    group: str | None,
    all_apis: bool,
    stages: list[str] | None,
    expires_at: datetime | None,
    limits: dict[str, int] | None = None,
) -> GrantInUse:
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
    app = apps.get_app(app_id)
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
    grant = Authorization(
        app_id=app_id,
        target=target,
        authorization_id="auth-" + secrets.token_hex(8),
        provider_account_id=principal.account_id,
        app_account_id=app.account_id,
        api_id=api_id,
        group=group,
        stages=_stages(stages),
        expires_at=format_time(expires_at) if expires_at else None,
        limits=_limits(limits),
        created_at=now,
        updated_at=now,
    )
    recorded = {
        "app_id": app_id,
        "provider_account_id": principal.account_id,
        "api_id": api_id,
        "group": group,
        "all": grant.all_apis,
        "stages": list(grant.stages),
        "expires_at": grant.expires_at,
        "limits": {limit.window: limit.limit for limit in grant.limits},
    }
    write(
        store.insert_authorization(grant),
        record(audit_event(principal, "authorization.create", grant.authorization_id, recorded)),
    )
    # Nothing of the app but its id: it may be another account's (CONTRACT.md 2). Each
    # limited window starts unused.
    return in_use([grant])[0]


def _granted(principal: Principal, authorization_id: str) -> Authorization:
    grant = store.granted_by(principal.account_id, authorization_id)
    if grant is None:
        raise NotFound(f"authorization {authorization_id} not found")
    return grant


def update_authorization(
    principal: Principal, authorization_id: str, changes: dict[str, Any]
) -> GrantInUse:
    """Change stages, end date or limits; a field sent as null clears it (stages: all)."""
    grant = _granted(principal, authorization_id)
    new: dict[str, Any] = {}
    if "stages" in changes:
        new["stages"] = _stages(changes["stages"])
    if "expires_at" in changes:
        new["expires_at"] = format_time(changes["expires_at"]) if changes["expires_at"] else None
    if "limits" in changes:
        new["limits"] = _limits(changes["limits"])
    if new:
        new["updated_at"] = _now()
        recorded = {k: format_time(v) if isinstance(v, datetime) else v for k, v in changes.items()}
        write(
            store.update_authorization(grant, new),
            record(audit_event(principal, "authorization.update", authorization_id, recorded)),
        )
        # What was written, without reading it back.
        grant = grant._replace(**new)
    return in_use([grant])[0]


def list_authorizations(
    principal: Principal,
    app_id: str | None,
    api_id: str | None,
    limit: int,
    cursor: str | None,
) -> Page[GrantInUse]:
    found = store.list_authorizations(principal.account_id, app_id, api_id, limit, cursor)
    return Page(in_use(found.items), found.next_cursor)


def revoke_authorization(principal: Principal, authorization_id: str) -> None:
    grant = _granted(principal, authorization_id)
    recorded = {"app_id": grant.app_id, "target": grant.target}
    write(
        store.delete_authorization(grant),
        record(audit_event(principal, "authorization.delete", authorization_id, recorded)),
    )
