"""One key pair, by its access key: read (the secret only on a logged reveal), change, rotate
its secret, delete. Adding one to an app is the app's (``services/apps.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.domain.admin import KeyChanges, KeyPair, NewKey, given
from chalicelib.domain.clock import format_time, utc_now
from chalicelib.domain.errors import Conflict
from chalicelib.domain.ip_rules import normalize_whitelist
from chalicelib.domain.principal import Principal, owned
from chalicelib.services.apps import new_secret, owned_app
from chalicelib.services.audit import audit_event, write_changes
from chalicelib.storage import apis
from chalicelib.storage import keys as store
from chalicelib.storage.audit import record, record_now
from chalicelib.storage.sealing import open_secret, seal_secret
from chalicelib.storage.transactions import write


def _now() -> str:
    return format_time(utc_now())


def owned_key(principal: Principal, access_key: str) -> KeyPair:
    return owned(store.get_key(access_key), principal, "key", access_key)


def get_key(principal: Principal, access_key: str, reveal: bool) -> tuple[KeyPair, str | None]:
    """The key pair, with its secret if ``reveal``."""
    key = owned_key(principal, access_key)
    if not reveal:
        return key, None
    # Recorded before the secret leaves: no event, no secret.
    record_now(audit_event(principal, "key.reveal", key.access_key, {"app_id": key.app_id}))
    return key, open_secret(key.secret_sealed, key.data_key_sealed, key.access_key)


def update_key(
    principal: Principal, access_key: str, asked: KeyChanges
) -> tuple[KeyPair, str | None]:
    """Rename, enable/disable, set or clear (None) the expiry, set a custom secret, or change
    the access key (which comes with a new secret, the custom one if given, shown in this
    answer unless the caller chose it)."""
    key = owned_key(principal, access_key)
    fields = given(replace(asked, access_key=None, secret=None))
    if "expires_at" in fields:
        expires_at = fields["expires_at"]
        fields["expires_at"] = format_time(expires_at) if expires_at else None
    key = write_changes(principal, "key", key, access_key, fields, store.update_key)
    if asked.access_key is not None and asked.access_key != key.access_key:
        renamed = _rename_key(principal, key, asked.access_key, asked.secret)
        return renamed.key, None if asked.secret else renamed.secret
    if asked.secret is not None:
        return _set_secret(principal, key, asked.secret), None
    return key, None


def _set_secret(principal: Principal, key: KeyPair, secret: str) -> KeyPair:
    """A custom secret in place of the current one, audited like a reset (never its value):
    no grace, the old one stops within the cache TTL."""
    sealed = seal_secret(secret, key.access_key)
    recorded = {"app_id": key.app_id, "custom": True, "grace_seconds": 0}
    write(
        store.replace_secret(key, sealed, _now(), None),
        record(audit_event(principal, "key.reset_secret", key.access_key, recorded)),
    )
    return owned_key(principal, key.access_key)


def _rename_key(
    principal: Principal, key: KeyPair, new_value: str, custom_secret: str | None = None
) -> NewKey:
    """A new access key always comes with a new secret: the old pair never validates again.
    The pair keeps its identity (``key_id``): its own grants and whitelist follow it."""
    # The app must still be the caller's: a default key's new value becomes the app's default.
    owned_app(principal, key.app_id)
    secret = custom_secret or new_secret()
    sealed = seal_secret(secret, new_value)
    # The same pair under a new access key: new secret, no use yet, no grace to carry over.
    renamed = key._replace(
        key_id=key.identity,
        access_key=new_value,
        updated_at=_now(),
        secret_sealed=sealed.secret_sealed,
        data_key_sealed=sealed.data_key_sealed,
        last_used_at=None,
        call_count=0,
        previous_secret_expires_at=None,
    )
    event = audit_event(
        principal,
        "key.change_access_key",
        key.access_key,
        {"app_id": key.app_id, "access_key": new_value, "key_id": renamed.key_id},
    )
    write(store.rename_key(key, renamed), record(event))
    return NewKey(renamed, secret)


def reset_secret(principal: Principal, access_key: str, grace_seconds: int = 0) -> NewKey:
    """A new secret; with ``grace_seconds`` the previous one also verifies until then."""
    key = owned_key(principal, access_key)
    secret = new_secret()
    sealed = seal_secret(secret, key.access_key)
    recorded: dict[str, Any] = {"app_id": key.app_id, "grace_seconds": grace_seconds}
    until = utc_now() + timedelta(seconds=grace_seconds) if grace_seconds > 0 else None
    if until is not None:
        recorded["previous_secret_expires_at"] = format_time(until)
    write(
        store.replace_secret(key, sealed, _now(), until),
        record(audit_event(principal, "key.reset_secret", access_key, recorded)),
    )
    return NewKey(owned_key(principal, access_key), secret)


def end_grace(principal: Principal, access_key: str) -> KeyPair:
    """The previous secret stops verifying now."""
    key = owned_key(principal, access_key)
    write(
        store.end_grace(key, _now()),
        record(audit_event(principal, "key.end_grace", access_key, {"app_id": key.app_id})),
    )
    return owned_key(principal, access_key)


def delete_key(principal: Principal, access_key: str) -> None:
    key = owned_key(principal, access_key)
    if key.is_default:
        raise Conflict("the default key pair cannot be deleted; delete the app instead")
    if key.enabled:
        raise Conflict(f"key {access_key} is enabled; disable it (PATCH enabled=false) first")
    # Its own grants end with it (whoever granted them), before it: an interruption leaves the
    # disabled pair with some of its grants, and deleting it again ends the rest; never a grant
    # listed for a pair that is gone.
    for grant in apis.authorizations_of(key.app_id):
        if grant.key_id == key.identity:
            write(apis.delete_authorization(grant))
    write(
        store.count_keys(key.account_id, -1),
        store.delete_disabled_key(key),
        record(audit_event(principal, "key.delete", access_key, {"app_id": key.app_id})),
    )


def get_whitelist(principal: Principal, access_key: str) -> KeyPair:
    return owned_key(principal, access_key)


def put_whitelist(principal: Principal, access_key: str, entries: Sequence[str]) -> KeyPair:
    """The key pair's own IP whitelist, replaced whole: a call signed with it must pass both
    the app's and this one; empty: no extra restriction."""
    normalized = normalize_whitelist(entries)
    key = owned_key(principal, access_key)
    now = _now()
    recorded = {"app_id": key.app_id, "entries": normalized}
    write(
        store.update_key(key, {"whitelist": tuple(normalized), "updated_at": now}),
        record(audit_event(principal, "key.whitelist_replace", access_key, recorded)),
    )
    return key._replace(whitelist=tuple(normalized), updated_at=now)
