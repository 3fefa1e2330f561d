"""Apps, adding key pairs to them, AppCodes and IP whitelists, scoped to the caller's account.

What one key pair does once it exists (change, rotate, reveal, delete) is ``services/keys.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from chalicelib.domain.admin import (
    App,
    AppChanges,
    AppCode,
    AppCodeChanges,
    AppDetail,
    AuditEvent,
    Authorization,
    IssuedAppCode,
    KeyPair,
    NewApp,
    NewKey,
    Page,
    given,
)
from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import Conflict, LimitExceeded, NotFound
from chalicelib.domain.ip_rules import normalize_whitelist
from chalicelib.domain.principal import Principal, owned
from chalicelib.domain.verification import hash_appcode
from chalicelib.services.apis import apis_granted_by_others, in_use
from chalicelib.services.audit import audit_event, write_changes
from chalicelib.storage import apis, appcodes, keys
from chalicelib.storage import apps as store
from chalicelib.storage.audit import record
from chalicelib.storage.sealing import seal_secret
from chalicelib.storage.transactions import write

MAX_COPIED_GRANTS = 96  # + counter, app, key and audit event: DynamoDB's 100-item transaction


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 32 random bytes, base64url


def new_access_key() -> str:
    return secrets.token_hex(12)


def new_key_id() -> str:
    """A key pair's identity: never an access key's shape (it has a "-"), never reused."""
    return "kp-" + secrets.token_hex(8)


def _now() -> str:
    return format_time(utc_now())


def _new_key(
    app: App,
    access_key: str | None,
    name: str,
    is_default: bool,
    expires_at: datetime | None = None,
    secret: str | None = None,
) -> NewKey:
    value = access_key or new_access_key()
    secret = secret or new_secret()
    sealed = seal_secret(secret, value)
    now = _now()
    key = KeyPair(
        access_key=value,
        app_id=app.app_id,
        account_id=app.account_id,
        name=name,
        enabled=True,
        is_default=is_default,
        created_at=now,
        updated_at=now,
        secret_sealed=sealed.secret_sealed,
        data_key_sealed=sealed.data_key_sealed,
        expires_at=format_time(expires_at) if expires_at else None,
        key_id=new_key_id(),
    )
    return NewKey(key, secret)


def owned_app(principal: Principal, app_id: str) -> App:
    return owned(store.get_app(app_id), principal, "app", app_id)


def create_app(
    principal: Principal, new: NewApp, copied_from: App | None = None
) -> tuple[App, KeyPair, str]:
    """The app, its default key pair and that pair's secret, written in one transaction with
    the audit event; a copy also gets the source's grants by the caller's own account."""
    now = _now()
    app = App(
        app_id="app-" + secrets.token_hex(8),
        account_id=principal.account_id,
        name=new.name,
        description=new.description,
        tags=dict(new.tags),
        extension=dict(new.extension),
        enabled=True,
        whitelist=tuple(new.whitelist),
        default_access_key="",
        created_at=now,
        updated_at=now,
    )
    key, secret = _new_key(app, new.access_key, "default", is_default=True, secret=new.secret)
    app = app._replace(default_access_key=key.access_key)
    grants = _own_grants_copied(principal, copied_from, app) if copied_from else []
    if len(grants) > MAX_COPIED_GRANTS:
        # One transaction holds at most 100 items: the copy would be half-written otherwise.
        raise LimitExceeded(
            f"the app has {len(grants)} authorizations granted by your account and a copy "
            f"carries at most {MAX_COPIED_GRANTS}; grant a group or all APIs instead"
        )
    write(
        keys.count_keys(principal.account_id, 1),
        store.insert_app(app),
        keys.insert_key(key),
        *(apis.insert_authorization(grant, new_app=True) for grant in grants),
        record(_creation_event(principal, new, key, copied_from, grants)),
    )
    return app, key, secret


def _creation_event(
    principal: Principal,
    new: NewApp,
    key: KeyPair,
    copied_from: App | None,
    grants: list[Authorization],
) -> AuditEvent:
    app_id = key.app_id
    if copied_from:
        copied = {
            "source_app_id": copied_from.app_id,
            "name": new.name,
            "access_key": key.access_key,
            "authorizations": [g.authorization_id for g in grants],
        }
        return audit_event(principal, "app.copy", app_id, copied)
    fields = {
        "name": new.name,
        "description": new.description,
        "tags": dict(new.tags),
        "extension": dict(new.extension),
    }
    created: dict[str, object] = {k: v for k, v in fields.items() if v}
    created["access_key"] = key.access_key
    if new.secret:
        created["custom_secret"] = True  # never the value
    return audit_event(principal, "app.create", app_id, created)


def _own_grants_copied(principal: Principal, source: App, copy: App) -> list[Authorization]:
    """The source's authorizations that the caller's account granted, for the copy: another
    account's grant is its own decision about one app, and it could not revoke a copy it
    never saw (CONTRACT.md 2). Their limits come along (counted apart: a counter is per
    authorization), so a copy of a throttled app is throttled too."""
    now = _now()
    return [
        grant._replace(
            app_id=copy.app_id,
            authorization_id="auth-" + secrets.token_hex(8),
            app_account_id=copy.account_id,
            created_at=now,
            updated_at=None,
        )
        for grant in apis.authorizations_of(source.app_id)
        # A key pair's own grant is for that pair; the copy has new pairs.
        if grant.provider_account_id == principal.account_id and grant.key_id is None
    ]


def list_apps(
    principal: Principal,
    limit: int,
    cursor: str | None,
    name: str | None,
    tag: str | None,
) -> Page[App]:
    """One page of the account's apps; ``tag`` is ``k:v`` and matches an app with that tag."""
    return store.list_apps(principal.account_id, limit, cursor, name, tag)


def get_app(principal: Principal, app_id: str) -> AppDetail:
    app = owned_app(principal, app_id)
    pairs = keys.keys_of(app_id)
    grants = apis.authorizations_of(app_id)
    return AppDetail(
        app,
        pairs,
        appcodes.appcodes_of(app_id),
        in_use(grants, pairs),
        apis_granted_by_others(app.account_id, grants),
    )


def update_app(principal: Principal, app_id: str, asked: AppChanges) -> App:
    app = owned_app(principal, app_id)
    return write_changes(principal, "app", app, app_id, given(asked), store.update_app)


def delete_app(principal: Principal, app_id: str) -> None:
    app = owned_app(principal, app_id)
    if app.enabled:
        raise Conflict(f"app {app_id} is enabled; disable it (PATCH enabled=false) first")
    # Dependents first: an interrupted delete leaves a disabled app that a retry finishes.
    for key in keys.keys_of(app_id):
        write(keys.count_keys(app.account_id, -1), keys.delete_key(key))
    for code in appcodes.appcodes_of(app_id):
        write(appcodes.delete_appcode(code))
    for grant in apis.authorizations_of(app_id):
        write(apis.delete_authorization(grant))
    write(
        store.delete_disabled_app(app),
        record(audit_event(principal, "app.delete", app_id, {"name": app.name})),
    )


def copy_app(principal: Principal, app_id: str, name: str | None) -> tuple[AppDetail, NewKey]:
    """The copy as read back, and its default key pair with the secret (shown this once)."""
    source = owned_app(principal, app_id)
    copy = NewApp(
        name=name or f"{source.name} (copy)",
        description=source.description,
        tags=source.tags,
        extension=source.extension,
        whitelist=source.whitelist,
    )
    app, key, secret = create_app(principal, copy, copied_from=source)
    return get_app(principal, app.app_id), NewKey(key, secret)


def add_key(
    principal: Principal,
    app_id: str,
    access_key: str | None,
    name: str | None,
    expires_at: datetime | None = None,
    secret: str | None = None,
) -> NewKey:
    app = owned_app(principal, app_id)
    new = _new_key(
        app, access_key, name or "", is_default=False, expires_at=expires_at, secret=secret
    )
    key = new.key
    recorded: dict[str, object] = {"app_id": app_id, "name": key.name, "key_id": key.key_id}
    if secret:
        recorded["custom_secret"] = True  # never the value
    write(
        keys.count_keys(principal.account_id, 1),
        keys.insert_key(key),
        record(audit_event(principal, "key.create", key.access_key, recorded)),
    )
    return new


def create_appcode(
    principal: Principal,
    app_id: str,
    expires_at: datetime | None = None,
    custom: str | None = None,
) -> IssuedAppCode:
    """A new AppCode: ``custom`` (Alibaba lets an app bring its own) or a generated one."""
    app = owned_app(principal, app_id)
    value = custom or secrets.token_hex(16)
    code = AppCode(
        code_hash=hash_appcode(value),
        appcode_id="code-" + secrets.token_hex(6),
        app_id=app.app_id,
        account_id=app.account_id,
        created_at=_now(),
        expires_at=format_time(expires_at) if expires_at else None,
    )
    recorded = {"app_id": app_id, "expires_at": code.expires_at, "custom": custom is not None}
    write(
        appcodes.insert_appcode(code),
        record(audit_event(principal, "appcode.create", code.appcode_id, recorded)),
    )
    return IssuedAppCode(code, value)


def _owned_appcode(principal: Principal, appcode_id: str) -> AppCode:
    code = appcodes.appcode_of(principal.account_id, appcode_id)
    if code is None:
        raise NotFound(f"appcode {appcode_id} not found")
    return code


def update_appcode(principal: Principal, appcode_id: str, asked: AppCodeChanges) -> AppCode:
    """A new code in place of the old (audited like a reset, never its value) and/or a new
    end date (None: none). The old code stops verifying within the cache TTL."""
    code = _owned_appcode(principal, appcode_id)
    changes = given(asked)
    if "expires_at" in changes:
        expires_at = changes["expires_at"]
        changes["expires_at"] = format_time(expires_at) if expires_at else None
    if not changes:
        return code
    changed = code._replace(
        expires_at=changes.get("expires_at", code.expires_at),
        code_hash=hash_appcode(asked.appcode) if asked.appcode else code.code_hash,
    )
    recorded: dict[str, object] = {"app_id": code.app_id}
    if "expires_at" in changes:
        recorded["expires_at"] = changed.expires_at
    if changed.code_hash != code.code_hash:
        recorded["code_changed"] = True  # never the value
    write(
        appcodes.replace_appcode(code, changed),
        record(audit_event(principal, "appcode.update", appcode_id, recorded)),
    )
    return changed


def delete_appcode(principal: Principal, appcode_id: str) -> None:
    code = _owned_appcode(principal, appcode_id)
    write(
        appcodes.delete_appcode(code),
        record(audit_event(principal, "appcode.delete", appcode_id, {"app_id": code.app_id})),
    )


def get_whitelist(principal: Principal, app_id: str) -> tuple[str, ...]:
    return owned_app(principal, app_id).whitelist


def put_whitelist(principal: Principal, app_id: str, entries: Sequence[str]) -> list[str]:
    normalized = normalize_whitelist(entries)
    app = owned_app(principal, app_id)
    write(
        store.update_app(app, {"whitelist": normalized, "updated_at": _now()}),
        record(audit_event(principal, "whitelist.replace", app_id, {"entries": normalized})),
    )
    return normalized
