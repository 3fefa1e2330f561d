"""The audit trail: every admin write and every secret reveal, listed back per account.

A service records an event by adding ``audit.record(audit_event(...))`` to the writes of the
change it records (``storage/transactions.write``), so a change and its event are written
together or not at all. Actions are ``<object_type>.<verb>``: the verbs are ``create``,
``update``, ``delete``, ``enable``, ``disable`` and a few named ones (``app.copy``,
``key.reveal``, ``key.reset_secret``, ``key.change_access_key``, ``whitelist.replace``); the
README lists them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from chalicelib.config import settings
from chalicelib.domain.admin import AuditEvent, Page
from chalicelib.domain.clock import format_time, parse_time, utc_now
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.objects import App, KeyPair
from chalicelib.domain.principal import Principal
from chalicelib.storage import audit as store
from chalicelib.storage.transactions import Write, write

# Field names whose values never go into an event, whatever a service passes.
SECRET_FIELDS = frozenset({"secret", "token", "appcode", "secret_sealed", "data_key_sealed"})


def audit_event(
    principal: Principal,
    action: str,
    object_id: str,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """The event for ``action`` (``<object_type>.<verb>``) on ``object_id``, to write with the
    change it records. Values of secret fields are dropped from ``changes``."""
    now = utc_now()
    return AuditEvent(
        event_id="evt-" + secrets.token_hex(8),
        account_id=principal.account_id,
        token_id=principal.token_id or "-",
        action=action,
        object_type=action.split(".", 1)[0],
        object_id=object_id,
        changes={k: v for k, v in (changes or {}).items() if k not in SECRET_FIELDS},
        at=now,
        expires_at=now + timedelta(days=settings().audit_retention_days),
    )


Changed = TypeVar("Changed", App, KeyPair)


def write_changes(
    principal: Principal,
    object_type: str,
    value: Changed,
    object_id: str,
    changes: dict[str, Any],
    update: Callable[[Changed, dict[str, Any]], Write],
) -> Changed:
    """``value`` with ``changes`` and a new ``updated_at``, written by ``update`` together with
    the event (``<type>.enable`` / ``.disable`` when ``enabled`` flips, else ``.update``);
    without a change nothing is written."""
    if not changes:
        return value
    if "enabled" in changes:
        action = f"{object_type}.{'enable' if changes['enabled'] else 'disable'}"
    else:
        action = f"{object_type}.update"
    now = format_time(utc_now())
    write(
        update(value, {**changes, "updated_at": now}),
        store.record(audit_event(principal, action, object_id, changes)),
    )
    return value._replace(**changes, updated_at=now)


def list_events(
    principal: Principal,
    *,
    action: str | None = None,
    object_id: str | None = None,
    token_id: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[AuditEvent]:
    """The account's events, newest first; each filter is a Query on its own index."""
    low = parse_time(from_, "from") if from_ else None
    high = parse_time(to, "to") if to else None
    if low and high and low > high:
        raise ValidationFailed("must not be after 'to'", "from")
    filters = {"action": action, "object_id": object_id, "token_id": token_id}
    return store.list_events(principal.account_id, filters, low, high, limit, cursor)
