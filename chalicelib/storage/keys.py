"""The keys table (KeyModel, PreviousSecretModel): key pairs and their previous secrets, and
the account's key counter (``key_count`` on its AccountModel item).

A key pair's previous secret, while a rotation's grace lasts, is an item of the keys table
under ``<access_key>#previous`` (the authorizer fetches both in one batch). The key counter
holds the 500-pair limit under concurrency: a conditional ADD in the transaction that adds a
pair, not a count before the write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain.admin import MAX_KEYS_PER_ACCOUNT, KeyPair
from chalicelib.domain.clock import format_time
from chalicelib.domain.errors import Conflict, LimitExceeded, NotFound
from chalicelib.storage import items, reads
from chalicelib.storage.models import AccountModel, AppModel, KeyModel, PreviousSecretModel
from chalicelib.storage.sealing import SealedSecret
from chalicelib.storage.transactions import Transaction, Write, update_fields


def count_keys(account_id: str, delta: int) -> Write:
    """The account's key pairs go up or down by ``delta``; up, never past the limit."""
    count = AccountModel.key_count

    def update(tx: Transaction) -> None:
        if delta > 0:
            tx.update(
                AccountModel(account_id),
                actions=[count.add(delta)],
                condition=count.does_not_exist() | (count <= MAX_KEYS_PER_ACCOUNT - delta),
                failure=LimitExceeded(
                    f"the account already has {MAX_KEYS_PER_ACCOUNT} key pairs; "
                    "delete unused ones first"
                ),
            )
        else:
            tx.update(
                AccountModel(account_id), actions=[count.add(delta)], condition=count.exists()
            )

    return update


def _key_item(key: KeyPair) -> KeyModel:
    return KeyModel.from_raw_data(items.key_item(key))


def _previous(access_key: str) -> PreviousSecretModel:
    return PreviousSecretModel(items.previous_secret_key(access_key))


def _key_taken(access_key: str) -> Conflict:
    return Conflict(f"access key {access_key} is already in use; choose another or omit it")


def get_key(access_key: str) -> KeyPair | None:
    item = reads.get_item("keys", access_key=access_key)
    return items.key_of(item) if item else None


def keys_of(app_id: str) -> list[KeyPair]:
    found = reads.query_all(reads.query("keys", "by_app", {"app_id": app_id}))
    return [items.key_of(item) for item in found]


def insert_key(key: KeyPair) -> Write:
    """A new key pair; its access key must be free."""

    def add(tx: Transaction) -> None:
        tx.save(
            _key_item(key),
            condition=KeyModel.access_key.does_not_exist(),
            failure=_key_taken(key.access_key),
        )

    return add


def update_key(key: KeyPair, changes: Mapping[str, Any]) -> Write:
    """Set the fields in ``changes`` (KeyPair's names and values; None removes one), if the
    key pair is still there."""
    condition = KeyModel.account_id == key.account_id
    failure = NotFound(f"key {key.access_key} not found")
    return update_fields(KeyModel(key.access_key), items.KEYS, changes, condition, failure)


def rename_key(old: KeyPair, new: KeyPair) -> Write:
    """``new`` in place of ``old`` (its previous secret goes too); a default pair stays the
    app's default. The new access key must be free."""

    def rename(tx: Transaction) -> None:
        tx.save(
            _key_item(new),
            condition=KeyModel.access_key.does_not_exist(),
            failure=_key_taken(new.access_key),
        )
        tx.delete(
            KeyModel(old.access_key),
            condition=KeyModel.account_id == old.account_id,
            failure=NotFound(f"key {old.access_key} not found"),  # deleted meanwhile
        )
        tx.delete(_previous(old.access_key))
        if old.is_default:
            tx.update(
                AppModel(old.app_id),
                actions=[AppModel.default_access_key.set(new.access_key)],
                condition=AppModel.app_id.exists(),
                failure=NotFound(f"app {old.app_id} not found"),
            )

    return rename


def replace_secret(
    key: KeyPair, sealed: SealedSecret, updated_at: str, grace_until: datetime | None
) -> Write:
    """The key's new secret, unless the secret changed since ``key`` was read; with
    ``grace_until`` the one replaced is kept as the previous secret until then (then TTL
    removes it), else any previous secret goes now."""

    def replace(tx: Transaction) -> None:
        previous = _previous(key.access_key)
        actions = [
            KeyModel.secret_sealed.set(sealed.secret_sealed),
            KeyModel.data_key_sealed.set(sealed.data_key_sealed),
            KeyModel.updated_at.set(updated_at),
        ]
        if grace_until is not None:
            # The secret being replaced, sealed as it was.
            expires_at = format_time(grace_until)
            item = items.previous_secret_item(key, expires_at, int(grace_until.timestamp()))
            actions.append(KeyModel.previous_secret_expires_at.set(expires_at))
            tx.save(PreviousSecretModel.from_raw_data(item))
        else:
            actions.append(KeyModel.previous_secret_expires_at.remove())
            tx.delete(previous)
        tx.update(
            KeyModel(key.access_key),
            actions=actions,
            condition=KeyModel.secret_sealed == key.secret_sealed,
            failure=Conflict(f"key {key.access_key} changed meanwhile; retry"),
        )

    return replace


def end_grace(key: KeyPair, updated_at: str) -> Write:
    """The previous secret stops verifying: its item and its end date go."""

    def end(tx: Transaction) -> None:
        tx.update(
            KeyModel(key.access_key),
            actions=[
                KeyModel.previous_secret_expires_at.remove(),
                KeyModel.updated_at.set(updated_at),
            ],
            # Deleted meanwhile: an update would bring back a stray item.
            condition=KeyModel.account_id == key.account_id,
            failure=NotFound(f"key {key.access_key} not found"),
        )
        tx.delete(_previous(key.access_key))

    return end


def delete_key(key: KeyPair) -> Write:
    """The key pair and its previous secret, whatever its state (its app is being deleted)."""

    def delete(tx: Transaction) -> None:
        tx.delete(KeyModel(key.access_key))
        tx.delete(_previous(key.access_key))  # a rotation's grace: no sealed secret left behind

    return delete


def delete_disabled_key(key: KeyPair) -> Write:
    """The key pair and its previous secret, if it is still disabled."""

    def delete(tx: Transaction) -> None:
        tx.delete(
            KeyModel(key.access_key),
            condition=KeyModel.enabled == False,  # noqa: E712 - a PynamoDB condition
            failure=Conflict(f"key {key.access_key} changed meanwhile; retry"),
        )
        tx.delete(_previous(key.access_key))

    return delete
