"""The apps, keys and appcodes tables (AppModel, KeyModel, PreviousSecretModel, AppCodeModel),
and the account's key counter (``key_count`` on its AccountModel item).

A key pair's previous secret, while a rotation's grace lasts, is an item of the keys table
under ``<access_key>#previous`` (the authorizer fetches both in one batch). The key counter
holds the 500-pair limit under concurrency: a conditional ADD in the transaction that adds a
pair, not a count before the write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.config import settings
from chalicelib.domain.admin import (
    MAX_KEYS_PER_ACCOUNT,
    App,
    AppCode,
    KeyPair,
    Page,
    tag_filter,
)
from chalicelib.domain.clock import format_time
from chalicelib.domain.errors import Conflict, LimitExceeded, NotFound
from chalicelib.storage import items, reads
from chalicelib.storage.models import (
    AccountModel,
    AppCodeModel,
    AppModel,
    KeyModel,
    PreviousSecretModel,
)
from chalicelib.storage.pagination import decode_cursor, encode_cursor, query_page
from chalicelib.storage.sealing import SealedSecret
from chalicelib.storage.transactions import Transaction, Write

MAX_LIST_READS = 10


def _stored(value: Any) -> Any:
    """A domain value's field as a PynamoDB attribute takes it."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _app_item(app: App) -> AppModel:
    return AppModel.from_raw_data(items.app_item(app))


def get_app(app_id: str) -> App | None:
    item = reads.get_item("apps", app_id=app_id)
    return items.app_of(item) if item else None


def list_apps(
    account_id: str, limit: int, cursor: str | None, name: str | None, tag: str | None
) -> Page[App]:
    """One page of the account's apps; ``name`` is a substring, ``tag`` is ``k:v``.

    The filter names every attribute by a placeholder, so a tag key is matched as it is
    (``a.b[0]`` is one key, not a document path); a colon in the key or the value is fine,
    since every split of ``k:v`` at a colon is tried.
    """
    start = decode_cursor(cursor, {"account_id", "app_id"}, {"account_id": account_id})
    names = {"#account": "account_id"}
    values: dict[str, Any] = {":account": {"S": account_id}}
    filters = []
    if name:
        names["#name"] = "name"
        values[":name"] = {"S": name}
        filters.append("contains(#name, :name)")
    if tag:
        names["#tags"] = "tags"
        alternatives = []
        for n, (key, value) in enumerate(tag_filter(tag)):
            names[f"#tag{n}"] = key
            values[f":tag{n}"] = {"S": value}
            alternatives.append(f"#tags.#tag{n} = :tag{n}")
        filters.append("(" + " OR ".join(alternatives) + ")")
    arguments: dict[str, Any] = {
        "TableName": settings().table_name("apps"),
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
    return Page([items.app_of(item) for item in found.items], encode_cursor(found.last_key))


def insert_app(app: App) -> Write:
    def add(tx: Transaction) -> None:
        tx.save(_app_item(app), condition=AppModel.app_id.does_not_exist())

    return add


def update_app(app: App, changes: Mapping[str, Any]) -> Write:
    """Set the fields in ``changes`` (App's names and values), if the app is still there."""

    def update(tx: Transaction) -> None:
        tx.update(
            AppModel(app.app_id),
            actions=[getattr(AppModel, name).set(_stored(v)) for name, v in changes.items()],
            condition=AppModel.account_id == app.account_id,
            failure=NotFound(f"app {app.app_id} not found"),
        )

    return update


def delete_disabled_app(app: App) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(
            AppModel(app.app_id),
            condition=AppModel.enabled == False,  # noqa: E712 - a PynamoDB condition
            failure=Conflict(f"app {app.app_id} was enabled meanwhile; disable it and retry"),
        )

    return delete


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

    def update(tx: Transaction) -> None:
        tx.update(
            KeyModel(key.access_key),
            actions=[
                getattr(KeyModel, name).set(value)
                if value is not None
                else getattr(KeyModel, name).remove()
                for name, value in changes.items()
            ],
            condition=KeyModel.account_id == key.account_id,
            failure=NotFound(f"key {key.access_key} not found"),
        )

    return update


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


def appcodes_of(app_id: str) -> list[AppCode]:
    found = reads.query_all(reads.query("appcodes", "by_app", {"app_id": app_id}))
    return [items.appcode_of(item) for item in found]


def appcode_of(account_id: str, appcode_id: str) -> AppCode | None:
    arguments = reads.query("appcodes", "by_id", {"appcode_id": appcode_id})
    for code in map(items.appcode_of, reads.query_all(arguments)):
        if code.account_id == account_id:
            return code
    return None


def insert_appcode(code: AppCode) -> Write:
    def add(tx: Transaction) -> None:
        item = AppCodeModel.from_raw_data(items.appcode_item(code))
        tx.save(item, condition=AppCodeModel.code_hash.does_not_exist())

    return add


def delete_appcode(code: AppCode) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(AppCodeModel(code.code_hash))

    return delete


def delete_appcodes_of(app_id: str) -> None:
    """One by one, outside any transaction: a retry of the app's delete finishes the rest."""
    for item in AppCodeModel.by_app.query(app_id):
        item.delete()
