"""The account's APIs (method + path template) and the authorizations to call them."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from chalicelib.domain.admin import (
    Api,
    ApiChanges,
    ApiOnGateway,
    App,
    Authorization,
    AuthorizationChanges,
    GrantInUse,
    KeyPair,
    NewApi,
    NewAuthorization,
    Page,
    given,
)
from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.limits import limits_map
from chalicelib.domain.objects import key_target_prefix
from chalicelib.domain.principal import Principal, owned
from chalicelib.domain.verification import STAGES
from chalicelib.services.audit import audit_event
from chalicelib.services.gateways import gateways_by_id, only_gateway, owned_gateway
from chalicelib.storage import apis as store
from chalicelib.storage import apps, gateways, keys
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


def create_api(principal: Principal, new: NewApi) -> ApiOnGateway:
    gateway = (
        owned_gateway(principal, new.gateway_id) if new.gateway_id else only_gateway(principal)
    )
    now = _now()
    api = Api(
        api_id="api-" + secrets.token_hex(8),
        account_id=principal.account_id,
        gateway_id=gateway.gateway_id,
        name=new.name,
        method=new.method.upper(),
        path=new.path,
        group=new.group,
        description=new.description,
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


def update_api(principal: Principal, api_id: str, asked: ApiChanges) -> ApiOnGateway:
    api = owned_api(principal, api_id)
    changes = given(asked)
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
    for grant in store.authorizations_naming(principal.account_id, api_id):
        write(store.delete_authorization(grant))


MAX_PROVIDER_API_PAGES = 10  # 200 APIs a page: a provider's whole catalog, bounded


def apis_granted_by_others(
    app_account_id: str, grants: list[Authorization]
) -> list[tuple[str, ApiOnGateway]]:
    """The APIs of other accounts that ``grants`` (an app's) cover, each with its grant's id:
    the app's owner may call them and cannot list them otherwise. Each provider's APIs are
    read once, and only for a group or all-APIs grant."""
    catalogs: dict[str, list[Api]] = {}
    covered: list[tuple[str, Api]] = []
    for grant in grants:
        provider = grant.provider_account_id
        if provider == app_account_id:
            continue
        if grant.api_id:
            api = store.get_api(grant.api_id)
            covered += [(grant.authorization_id, api)] if api else []
            continue
        if provider not in catalogs:
            catalogs[provider] = _all_apis(provider)
        covered += [
            (grant.authorization_id, api)
            for api in catalogs[provider]
            if grant.all_apis or api.group == grant.group
        ]
    placed = _placed([api for _, api in covered])
    return [(grant_id, api) for (grant_id, _), api in zip(covered, placed, strict=True)]


def _all_apis(account_id: str) -> list[Api]:
    found: list[Api] = []
    cursor = None
    for _ in range(MAX_PROVIDER_API_PAGES):
        page = store.list_apis(account_id, 200, cursor)
        found += page.items
        cursor = page.next_cursor
        if not cursor:
            break
    return found


def in_use(grants: list[Authorization], pairs: list[KeyPair] | None = None) -> list[GrantInUse]:
    """The authorizations with their limits' use now, the counters read in one batch, and a
    key pair's own grant with the pair's access key now (``pairs``: the app's, if known)."""
    current = usage([(g.authorization_id, g.limits) for g in grants], utc_now())
    access_keys = _access_keys(grants, pairs)
    return [
        GrantInUse(
            grant,
            current.get(grant.authorization_id, {}),
            access_keys.get(grant.key_id) if grant.key_id else None,
        )
        for grant in grants
    ]


def _access_keys(grants: list[Authorization], pairs: list[KeyPair] | None) -> dict[str, str]:
    """Key pair identity -> its access key now, for the key pairs' own grants: each app's
    pairs read once (a pair never changes apps)."""
    apps_asked = {grant.app_id for grant in grants if grant.key_id}
    found = list(pairs or [])
    for app_id in apps_asked - {pair.app_id for pair in found}:
        found += keys.keys_of(app_id)
    return {pair.identity: pair.access_key for pair in found}


def _stages(given: tuple[str, ...] | None) -> tuple[str, ...]:
    """The stages named, each once; none named: every stage."""
    return tuple(dict.fromkeys(given)) if given else tuple(STAGES)


def _grantee(new: NewAuthorization) -> tuple[App, KeyPair | None]:
    """The app (of any account) the grant is for, and the key pair if it is that pair's own.
    Only their existence is checked, and told alike whoever holds them."""
    if (new.app_id is None) == (new.access_key is None):
        raise ValidationFailed("give exactly one of app_id or access_key", "app_id")
    if new.access_key is not None:
        key = keys.get_key(new.access_key)
        app = apps.get_app(key.app_id) if key else None
        if key is None or app is None:
            raise NotFound(f"key {new.access_key} not found")
        return app, key
    app = apps.get_app(str(new.app_id))
    if app is None:
        raise NotFound(f"app {new.app_id} not found")
    return app, None


def create_authorization(principal: Principal, new: NewAuthorization) -> GrantInUse:
    target = _target(principal, new)
    if new.expires_at is not None and new.expires_at <= utc_now():
        raise ValidationFailed("must be in the future", "expires_at")
    app, key = _grantee(new)
    if new.api_id:
        owned_api(principal, new.api_id)
    now = _now()
    grant = Authorization(
        app_id=app.app_id,
        target=key_target_prefix(key.identity) + target if key else target,
        key_id=key.identity if key else None,
        authorization_id="auth-" + secrets.token_hex(8),
        provider_account_id=principal.account_id,
        app_account_id=app.account_id,
        api_id=new.api_id,
        group=new.group,
        stages=_stages(new.stages),
        expires_at=format_time(new.expires_at) if new.expires_at else None,
        limits=new.limits,
        created_at=now,
        updated_at=now,
    )
    recorded = {
        "app_id": grant.app_id,
        "access_key": key.access_key if key else None,
        "provider_account_id": principal.account_id,
        "api_id": grant.api_id,
        "group": grant.group,
        "all": grant.all_apis,
        "stages": list(grant.stages),
        "expires_at": grant.expires_at,
        "limits": limits_map(grant.limits),
    }
    write(
        store.insert_authorization(grant),
        record(audit_event(principal, "authorization.create", grant.authorization_id, recorded)),
    )
    # Nothing of the app but its id (and the key's access key): it may be another account's
    # (CONTRACT.md 2). Each limited window starts unused.
    return in_use([grant], [key] if key else [])[0]


def _target(principal: Principal, new: NewAuthorization) -> str:
    """What the grant covers, as its key names it; exactly one of api_id, group or all."""
    chosen = [name for name, value in (("api_id", new.api_id), ("group", new.group)) if value]
    if new.all_apis:
        chosen.append("all")
    if len(chosen) != 1:
        raise ValidationFailed(
            "give exactly one of api_id, group or all=true (got "
            + (", ".join(chosen) or "none")
            + ")",
            "api_id",
        )
    if new.api_id:
        return f"api#{new.api_id}"
    if new.group:
        return f"group#{principal.account_id}#{new.group}"
    return f"all#{principal.account_id}"


def _granted(principal: Principal, authorization_id: str) -> Authorization:
    grant = store.granted_by(principal.account_id, authorization_id)
    if grant is None:
        raise NotFound(f"authorization {authorization_id} not found")
    return grant


def update_authorization(
    principal: Principal, authorization_id: str, asked: AuthorizationChanges
) -> GrantInUse:
    """Change stages, end date or limits; a field set to None clears it (stages: all)."""
    grant = _granted(principal, authorization_id)
    changes = given(asked)
    new: dict[str, Any] = {}
    recorded: dict[str, Any] = {}
    if "stages" in changes:
        new["stages"] = _stages(changes["stages"])
        recorded["stages"] = list(changes["stages"]) if changes["stages"] else None
    if "expires_at" in changes:
        expires_at = changes["expires_at"]
        new["expires_at"] = recorded["expires_at"] = format_time(expires_at) if expires_at else None
    if "limits" in changes:
        new["limits"] = changes["limits"] or ()
        recorded["limits"] = limits_map(new["limits"]) if changes["limits"] is not None else None
    if new:
        new["updated_at"] = _now()
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
    access_key: str | None = None,
) -> Page[GrantInUse]:
    """What the account granted; ``access_key``: that key pair's own grants (none for a key
    nobody holds: a filter tells nothing of other accounts' keys)."""
    key_id = None
    if access_key is not None:
        key = keys.get_key(access_key)
        if key is None or (app_id is not None and app_id != key.app_id):
            return Page([], None)
        app_id, key_id = key.app_id, key.identity
    found = store.list_authorizations(principal.account_id, app_id, api_id, limit, cursor, key_id)
    return Page(in_use(found.items), found.next_cursor)


def revoke_authorization(principal: Principal, authorization_id: str) -> None:
    grant = _granted(principal, authorization_id)
    recorded = {"app_id": grant.app_id, "target": grant.target}
    write(
        store.delete_authorization(grant),
        record(audit_event(principal, "authorization.delete", authorization_id, recorded)),
    )
