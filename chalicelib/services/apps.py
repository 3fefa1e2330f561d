"""Apps, their key pairs, AppCodes and IP whitelists, scoped to the caller's account."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import Conflict, LimitExceeded, NotFound, ValidationFailed
from chalicelib.domain.ip_rules import normalize_whitelist
from chalicelib.domain.verification import hash_appcode
from chalicelib.services.accounts import Principal, owned
from chalicelib.services.audit import audit_event
from chalicelib.storage.models import (
    AccountModel,
    AppCodeModel,
    AppModel,
    AuthorizationModel,
    KeyModel,
    PreviousSecretModel,
)
from chalicelib.storage.pagination import decode_cursor, encode_cursor, query_page
from chalicelib.storage.sealing import open_secret, seal_secret
from chalicelib.storage.transactions import atomic

MAX_KEYS_PER_ACCOUNT = 500
MAX_TAG_FILTER_COLONS = 8
MAX_LIST_READS = 10
MAX_COPIED_GRANTS = 96  # + counter, app, key and audit event: DynamoDB's 100-item transaction


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 32 random bytes, base64url


def new_access_key() -> str:
    return secrets.token_hex(12)


def _now() -> str:
    return format_time(utc_now())


def _key_limit() -> LimitExceeded:
    return LimitExceeded(
        f"the account already has {MAX_KEYS_PER_ACCOUNT} key pairs; delete unused ones first"
    )


def _key_taken(access_key: str) -> Conflict:
    return Conflict(f"access key {access_key} is already in use; choose another or omit it")


def _count_key(account_id: str, delta: int) -> tuple[AccountModel, dict[str, Any]]:
    count = AccountModel.key_count
    if delta > 0:
        condition = count.does_not_exist() | (count <= MAX_KEYS_PER_ACCOUNT - delta)
    else:
        condition = count.exists()
    return AccountModel(account_id), {"actions": [count.add(delta)], "condition": condition}


def _new_key(
    app: AppModel,
    access_key: str | None,
    name: str,
    is_default: bool,
    expires_at: datetime | None = None,
) -> tuple[KeyModel, str]:
    value = access_key or new_access_key()
    secret = new_secret()
    sealed = seal_secret(secret, value)
    now = _now()
    key = KeyModel(
        value,
        app_id=app.app_id,
        account_id=app.account_id,
        name=name,
        enabled=True,
        is_default=is_default,
        secret_sealed=sealed.secret_sealed,
        data_key_sealed=sealed.data_key_sealed,
        created_at=now,
        updated_at=now,
        call_count=0,
        expires_at=format_time(expires_at) if expires_at else None,
    )
    return key, secret


def key_view(key: KeyModel, secret: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "access_key": key.access_key,
        "app_id": key.app_id,
        "name": key.name,
        "enabled": bool(key.enabled),
        "is_default": bool(key.is_default),
        "created_at": key.created_at,
        "updated_at": key.updated_at,
        "last_used_at": key.last_used_at,
        "call_count": int(key.call_count or 0),
        "expires_at": key.expires_at,
        "previous_secret_expires_at": _live_grace(key),
    }
    if secret is not None:
        view["secret"] = secret
    return view


def _live_grace(key: KeyModel) -> str | None:
    """When the previous secret stops verifying, while it still does."""
    until = key.previous_secret_expires_at
    return until if until and until > _now() else None


def appcode_view(code: AppCodeModel) -> dict[str, Any]:
    return {
        "appcode_id": code.appcode_id,
        "app_id": code.app_id,
        "created_at": code.created_at,
        "expires_at": code.expires_at,
    }


def app_view(app: AppModel) -> dict[str, Any]:
    return {
        "app_id": app.app_id,
        "account_id": app.account_id,
        "name": app.name,
        "description": app.description or "",
        "tags": dict(app.tags.as_dict()) if app.tags else {},
        "extension": dict(app.extension.as_dict()) if app.extension else {},
        "enabled": bool(app.enabled),
        "whitelist": list(app.whitelist or []),
        "default_access_key": app.default_access_key,
        "created_at": app.created_at,
        "updated_at": app.updated_at,
        "last_used_at": app.last_used_at,
        "call_count": int(app.call_count or 0),
    }


def owned_app(principal: Principal, app_id: str) -> AppModel:
    return owned(AppModel, app_id, principal, "app")


def find_app(app_id: str) -> AppModel | None:
    try:
        return AppModel.get(app_id)
    except DoesNotExist:
        return None


def owned_key(principal: Principal, access_key: str) -> KeyModel:
    return owned(KeyModel, access_key, principal, "key")


def create_app(
    principal: Principal,
    name: str,
    description: str = "",
    tags: dict[str, str] | None = None,
    extension: dict[str, str] | None = None,
    access_key: str | None = None,
    whitelist: Sequence[str] = (),
    copied_from: AppModel | None = None,
) -> tuple[AppModel, KeyModel, str]:
    """The app, its default key pair and that pair's secret, written in one transaction with
    the audit event; a copy also gets the source's grants by the caller's own account."""
    now = _now()
    app = AppModel(
        "app-" + secrets.token_hex(8),
        account_id=principal.account_id,
        name=name,
        description=description,
        tags=tags or {},
        extension=extension or {},
        enabled=True,
        whitelist=list(whitelist),
        default_access_key="",
        created_at=now,
        updated_at=now,
        call_count=0,
    )
    key, secret = _new_key(app, access_key, "default", is_default=True)
    app.default_access_key = key.access_key
    account, counter = _count_key(principal.account_id, 1)
    grants = _own_grants_copied(principal, copied_from, app) if copied_from else []
    if len(grants) > MAX_COPIED_GRANTS:
        # One transaction holds at most 100 items: the copy would be half-written otherwise.
        raise LimitExceeded(
            f"the app has {len(grants)} authorizations granted by your account and a copy "
            f"carries at most {MAX_COPIED_GRANTS}; grant a group or all APIs instead"
        )
    if copied_from:
        event = audit_event(
            principal,
            "app.copy",
            app.app_id,
            {
                "source_app_id": copied_from.app_id,
                "name": name,
                "access_key": key.access_key,
                "authorizations": [g.authorization_id for g in grants],
            },
        )
    else:
        fields = {"name": name, "description": description, "tags": tags, "extension": extension}
        event = audit_event(
            principal,
            "app.create",
            app.app_id,
            {k: v for k, v in fields.items() if v} | {"access_key": key.access_key},
        )
    with atomic() as tx:
        tx.update(account, **counter, failure=_key_limit())
        tx.save(app, condition=AppModel.app_id.does_not_exist())
        tx.save(
            key,
            condition=KeyModel.access_key.does_not_exist(),
            failure=_key_taken(key.access_key),
        )
        for grant in grants:
            tx.save(grant)
        tx.save(event)
    return app, key, secret


def _own_grants_copied(
    principal: Principal, source: AppModel, copy: AppModel
) -> list[AuthorizationModel]:
    """The source's authorizations that the caller's account granted, for the copy: another
    account's grant is its own decision about one app, and it could not revoke a copy it
    never saw (CONTRACT.md 2)."""
    now = _now()
    return [
        AuthorizationModel(
            copy.app_id,
            grant.target,
            authorization_id="auth-" + secrets.token_hex(8),
            provider_account_id=grant.provider_account_id,
            app_account_id=copy.account_id,
            api_id=grant.api_id,
            group=grant.group,
            stages=list(grant.stages),
            expires_at=grant.expires_at,
            created_at=now,
        )
        for grant in AuthorizationModel.query(source.app_id)
        if grant.provider_account_id == principal.account_id
    ]


def create_app_view(principal: Principal, **fields: Any) -> dict[str, Any]:
    app, key, secret = create_app(principal, **fields)
    return {**app_view(app), "keys": [key_view(key, secret)]}


def list_apps(
    principal: Principal,
    limit: int,
    cursor: str | None,
    name: str | None,
    tag: str | None,
) -> dict[str, Any]:
    """One page of the account's apps; ``tag`` is ``k:v`` and matches an app with that tag.

    The filter names every attribute by a placeholder, so a tag key is matched as it is
    (``a.b[0]`` is one key, not a document path); a colon in the key or the value is fine,
    since every split of ``k:v`` at a colon is tried.
    """
    start = decode_cursor(cursor, {"account_id", "app_id"}, {"account_id": principal.account_id})
    names = {"#account": "account_id"}
    values: dict[str, Any] = {":account": {"S": principal.account_id}}
    filters = []
    if name:
        names["#name"] = "name"
        values[":name"] = {"S": name}
        filters.append("contains(#name, :name)")
    if tag:
        names["#tags"] = "tags"
        splits = [i for i, char in enumerate(tag) if char == ":" and i > 0]
        if not splits or len(splits) > MAX_TAG_FILTER_COLONS:
            raise ValidationFailed(
                f"must be k:v with a non-empty key and at most {MAX_TAG_FILTER_COLONS} colons",
                "tag",
            )
        alternatives = []
        for n, at in enumerate(splits):
            names[f"#tag{n}"] = tag[:at]
            values[f":tag{n}"] = {"S": tag[at + 1 :]}
            alternatives.append(f"#tags.#tag{n} = :tag{n}")
        filters.append("(" + " OR ".join(alternatives) + ")")
    arguments: dict[str, Any] = {
        "TableName": AppModel.Meta.table_name,
        "IndexName": "by_account",
        "KeyConditionExpression": "#account = :account",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if filters:
        arguments["FilterExpression"] = " AND ".join(filters)
    # A filter that matches little must not read the whole account in one request: the page
    # may come back short, with next_cursor (as call records do).
    found = query_page(arguments, start, limit, MAX_LIST_READS)
    items, last = found.items, found.last_key
    return {
        "items": [app_view(AppModel.from_raw_data(item)) for item in items],
        "next_cursor": encode_cursor(last),
    }


def app_keys(app_id: str) -> list[KeyModel]:
    return list(KeyModel.by_app.query(app_id))


def get_app(principal: Principal, app_id: str) -> dict[str, Any]:
    from chalicelib.services.apis import authorization_views

    app = owned_app(principal, app_id)
    return {
        **app_view(app),
        "keys": [key_view(k) for k in app_keys(app_id)],
        "appcodes": [appcode_view(c) for c in AppCodeModel.by_app.query(app_id)],
        "authorizations": authorization_views(list(AuthorizationModel.query(app_id))),
    }


def update_app(principal: Principal, app_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    app = owned_app(principal, app_id)
    actions = [getattr(AppModel, name).set(value) for name, value in changes.items()]
    if actions:
        now = _now()
        actions.append(AppModel.updated_at.set(now))
        with atomic() as tx:
            tx.update(
                app,
                actions=actions,
                condition=AppModel.account_id == principal.account_id,
                failure=NotFound(f"app {app_id} not found"),
            )
            tx.save(audit_event(principal, _toggle_action("app", changes), app_id, changes))
        for name, value in changes.items():
            setattr(app, name, value)
        app.updated_at = now
    return app_view(app)


def _toggle_action(object_type: str, changes: dict[str, Any]) -> str:
    """``<type>.enable`` / ``<type>.disable`` when a change flips ``enabled``, else update."""
    if "enabled" in changes:
        return f"{object_type}.{'enable' if changes['enabled'] else 'disable'}"
    return f"{object_type}.update"


def delete_app(principal: Principal, app_id: str) -> None:
    app = owned_app(principal, app_id)
    if app.enabled:
        raise Conflict(f"app {app_id} is enabled; disable it (PATCH enabled=false) first")
    # Dependents first: an interrupted delete leaves a disabled app that a retry finishes.
    for key in app_keys(app_id):
        account, counter = _count_key(app.account_id, -1)
        with atomic() as tx:
            tx.update(account, **counter)
            tx.delete(key)
    for code in AppCodeModel.by_app.query(app_id):
        code.delete()
    for grant in AuthorizationModel.query(app_id):
        grant.delete()
    with atomic() as tx:
        tx.delete(
            app,
            condition=AppModel.enabled == False,  # noqa: E712 - a PynamoDB condition
            failure=Conflict(f"app {app_id} was enabled meanwhile; disable it and retry"),
        )
        tx.save(audit_event(principal, "app.delete", app_id, {"name": app.name}))


def copy_app(principal: Principal, app_id: str, name: str | None) -> dict[str, Any]:
    source = owned_app(principal, app_id)
    app, key, secret = create_app(
        principal,
        name=name or f"{source.name} (copy)",
        description=source.description or "",
        tags=dict(source.tags.as_dict()) if source.tags else {},
        extension=dict(source.extension.as_dict()) if source.extension else {},
        whitelist=list(source.whitelist or []),
        copied_from=source,
    )
    return get_app(principal, app.app_id) | {"keys": [key_view(key, secret)]}


def add_key(
    principal: Principal,
    app_id: str,
    access_key: str | None,
    name: str | None,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    app = owned_app(principal, app_id)
    key, secret = _new_key(app, access_key, name or "", is_default=False, expires_at=expires_at)
    account, counter = _count_key(principal.account_id, 1)
    event = audit_event(
        principal, "key.create", key.access_key, {"app_id": app_id, "name": key.name}
    )
    with atomic() as tx:
        tx.update(account, **counter, failure=_key_limit())
        tx.save(
            key,
            condition=KeyModel.access_key.does_not_exist(),
            failure=_key_taken(key.access_key),
        )
        tx.save(event)
    return key_view(key, secret)


def get_key(principal: Principal, access_key: str, reveal: bool) -> dict[str, Any]:
    key = owned_key(principal, access_key)
    if not reveal:
        return key_view(key)
    # Recorded before the secret leaves: no event, no secret.
    audit_event(principal, "key.reveal", key.access_key, {"app_id": key.app_id}).save()
    secret = open_secret(key.secret_sealed, key.data_key_sealed, key.access_key)
    return key_view(key, secret)


def update_key(principal: Principal, access_key: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Rename, enable/disable, set or clear (null) the expiry, or change the access key."""
    key = owned_key(principal, access_key)
    new_value = changes.pop("access_key", None)
    actions: list[Any] = []
    recorded = dict(changes)
    if "expires_at" in changes:
        expires_at = changes.pop("expires_at")
        recorded["expires_at"] = format_time(expires_at) if expires_at else None
        actions.append(
            KeyModel.expires_at.set(format_time(expires_at))
            if expires_at
            else KeyModel.expires_at.remove()
        )
    changes = {n: v for n, v in changes.items() if v is not None}
    actions.extend(getattr(KeyModel, n).set(v) for n, v in changes.items())
    if actions:
        now = _now()
        with atomic() as tx:
            tx.update(
                key,
                actions=[*actions, KeyModel.updated_at.set(now)],
                condition=KeyModel.account_id == principal.account_id,
                failure=NotFound(f"key {access_key} not found"),
            )
            tx.save(audit_event(principal, _toggle_action("key", changes), access_key, recorded))
        for name, value in changes.items():
            setattr(key, name, value)
        if "expires_at" in recorded:
            key.expires_at = recorded["expires_at"]
        key.updated_at = now
    if new_value is None or new_value == key.access_key:
        return key_view(key)
    return _rename_key(principal, key, new_value)


def _rename_key(principal: Principal, key: KeyModel, new_value: str) -> dict[str, Any]:
    """A new access key always comes with a new secret: the old pair never validates again."""
    app = owned_app(principal, key.app_id)
    secret = new_secret()
    sealed = seal_secret(secret, new_value)
    renamed = KeyModel(
        new_value,
        app_id=key.app_id,
        account_id=key.account_id,
        name=key.name,
        enabled=key.enabled,
        is_default=key.is_default,
        secret_sealed=sealed.secret_sealed,
        data_key_sealed=sealed.data_key_sealed,
        created_at=key.created_at,
        updated_at=_now(),
        call_count=0,
        expires_at=key.expires_at,
    )
    event = audit_event(
        principal,
        "key.change_access_key",
        key.access_key,
        {"app_id": key.app_id, "access_key": new_value},
    )
    with atomic() as tx:
        tx.save(
            renamed,
            condition=KeyModel.access_key.does_not_exist(),
            failure=_key_taken(new_value),
        )
        tx.delete(key)
        tx.delete(PreviousSecretModel(PreviousSecretModel.key_of(key.access_key)))
        if key.is_default:
            tx.update(app, actions=[AppModel.default_access_key.set(new_value)])
        tx.save(event)
    return key_view(renamed, secret)


def reset_secret(principal: Principal, access_key: str, grace_seconds: int = 0) -> dict[str, Any]:
    """A new secret; with ``grace_seconds`` the previous one also verifies until then."""
    key = owned_key(principal, access_key)
    secret = new_secret()
    sealed = seal_secret(secret, key.access_key)
    previous = PreviousSecretModel(PreviousSecretModel.key_of(key.access_key))
    actions = [
        KeyModel.secret_sealed.set(sealed.secret_sealed),
        KeyModel.data_key_sealed.set(sealed.data_key_sealed),
        KeyModel.updated_at.set(_now()),
    ]
    recorded: dict[str, Any] = {"app_id": key.app_id, "grace_seconds": grace_seconds}
    changed = Conflict(f"key {access_key} changed meanwhile; retry")
    with atomic() as tx:
        if grace_seconds > 0:
            until = utc_now() + timedelta(seconds=grace_seconds)
            # The secret being replaced, sealed as it was; TTL removes it after the grace.
            previous.secret_sealed = key.secret_sealed
            previous.data_key_sealed = key.data_key_sealed
            previous.expires_at = format_time(until)
            previous.purge_at = until
            recorded["previous_secret_expires_at"] = previous.expires_at
            actions.append(KeyModel.previous_secret_expires_at.set(previous.expires_at))
            tx.save(previous)
        else:
            actions.append(KeyModel.previous_secret_expires_at.remove())
            tx.delete(previous)
        tx.update(
            key,
            actions=actions,
            condition=KeyModel.secret_sealed == key.secret_sealed,
            failure=changed,
        )
        tx.save(audit_event(principal, "key.reset_secret", access_key, recorded))
    return key_view(owned_key(principal, access_key), secret)


def end_grace(principal: Principal, access_key: str) -> dict[str, Any]:
    """The previous secret stops verifying now."""
    key = owned_key(principal, access_key)
    with atomic() as tx:
        tx.update(
            key,
            actions=[
                KeyModel.previous_secret_expires_at.remove(),
                KeyModel.updated_at.set(_now()),
            ],
        )
        tx.delete(PreviousSecretModel(PreviousSecretModel.key_of(key.access_key)))
        tx.save(audit_event(principal, "key.end_grace", access_key, {"app_id": key.app_id}))
    return key_view(owned_key(principal, access_key))


def delete_key(principal: Principal, access_key: str) -> None:
    key = owned_key(principal, access_key)
    if key.is_default:
        raise Conflict("the default key pair cannot be deleted; delete the app instead")
    if key.enabled:
        raise Conflict(f"key {access_key} is enabled; disable it (PATCH enabled=false) first")
    account, counter = _count_key(key.account_id, -1)
    with atomic() as tx:
        tx.update(account, **counter)
        tx.delete(
            key,
            condition=KeyModel.enabled == False,  # noqa: E712
            failure=Conflict(f"key {access_key} changed meanwhile; retry"),
        )
        tx.delete(PreviousSecretModel(PreviousSecretModel.key_of(key.access_key)))
        tx.save(audit_event(principal, "key.delete", access_key, {"app_id": key.app_id}))


def create_appcode(
    principal: Principal, app_id: str, expires_at: datetime | None = None
) -> dict[str, Any]:
    app = owned_app(principal, app_id)
    code = secrets.token_hex(16)
    item = AppCodeModel(
        hash_appcode(code),
        appcode_id="code-" + secrets.token_hex(6),
        app_id=app.app_id,
        account_id=app.account_id,
        created_at=_now(),
        expires_at=format_time(expires_at) if expires_at else None,
    )
    recorded = {"app_id": app_id, "expires_at": item.expires_at}
    with atomic() as tx:
        tx.save(item, condition=AppCodeModel.code_hash.does_not_exist())
        tx.save(audit_event(principal, "appcode.create", item.appcode_id, recorded))
    return {**appcode_view(item), "appcode": code}


def delete_appcode(principal: Principal, appcode_id: str) -> None:
    for item in AppCodeModel.by_id.query(appcode_id):
        if item.account_id == principal.account_id:
            with atomic() as tx:
                tx.delete(item)
                tx.save(
                    audit_event(principal, "appcode.delete", appcode_id, {"app_id": item.app_id})
                )
            return
    raise NotFound(f"appcode {appcode_id} not found")


def get_whitelist(principal: Principal, app_id: str) -> dict[str, Any]:
    app = owned_app(principal, app_id)
    return {"app_id": app_id, "entries": list(app.whitelist or [])}


def put_whitelist(principal: Principal, app_id: str, entries: Sequence[str]) -> dict[str, Any]:
    normalized = normalize_whitelist(entries)
    app = owned_app(principal, app_id)
    with atomic() as tx:
        tx.update(
            app,
            actions=[AppModel.whitelist.set(normalized), AppModel.updated_at.set(_now())],
            condition=AppModel.account_id == principal.account_id,
            failure=NotFound(f"app {app_id} not found"),
        )
        tx.save(audit_event(principal, "whitelist.replace", app_id, {"entries": normalized}))
    return {"app_id": app_id, "entries": normalized}
