"""The apps table (AppModel): an account's applications.

Their key pairs are ``storage/keys.py``'s, their AppCodes ``storage/appcodes.py``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.admin import App, Page, tag_filter
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.storage import items, reads
from chalicelib.storage.models import AppModel
from chalicelib.storage.pagination import decode_cursor, encode_cursor, query_page
from chalicelib.storage.transactions import Transaction, Write, update_fields

MAX_LIST_READS = 10


def _app_item(app: App) -> AppModel:
    return AppModel.from_raw_data(items.app_item(app))


def get_app(app_id: str) -> App | None:
    item = reads.get_item("apps", app_id=app_id)
    return items.app_of(item) if item else None


def list_apps(
    account_id: str, limit: int, cursor: str | None, name: str | None, tag: str | None
) -> Page[App]:
    """One page of the account's apps; ``name`` is a substring in any case, ``tag`` is ``k:v``.

    The filter names every attribute by a placeholder, so a tag key is matched as it is
    (``a.b[0]`` is one key, not a document path); a colon in the key or the value is fine,
    since every split of ``k:v`` at a colon is tried.
    """
    start = decode_cursor(cursor, {"account_id", "app_id"}, {"account_id": account_id})
    arguments = reads.query("apps", "by_account", {"account_id": account_id})
    names, values = arguments["ExpressionAttributeNames"], arguments["ExpressionAttributeValues"]
    filters = []
    if tag:
        names["#tags"] = "tags"
        alternatives = []
        for n, (key, value) in enumerate(tag_filter(tag)):
            names[f"#tag{n}"] = key
            values[f":tag{n}"] = {"S": value}
            alternatives.append(f"#tags.#tag{n} = :tag{n}")
        filters.append("(" + " OR ".join(alternatives) + ")")
    if filters:
        arguments["FilterExpression"] = " AND ".join(filters)
    # A filter that matches little must not read the whole account in one request: the page
    # may come back short, with next_cursor (as call records do).
    # DynamoDB's contains() is case-sensitive: the name is matched here, on the items read.
    wanted = name.casefold() if name else None
    keep = (lambda item: wanted in item["name"]["S"].casefold()) if wanted else None
    found = query_page(arguments, start, limit, MAX_LIST_READS, keep)
    return Page([items.app_of(item) for item in found.items], encode_cursor(found.last_key))


def insert_app(app: App) -> Write:
    def add(tx: Transaction) -> None:
        tx.save(_app_item(app), condition=AppModel.app_id.does_not_exist())

    return add


def update_app(app: App, changes: Mapping[str, Any]) -> Write:
    """Set the fields in ``changes`` (App's names and values), if the app is still there."""
    condition = AppModel.account_id == app.account_id
    failure = NotFound(f"app {app.app_id} not found")
    return update_fields(AppModel(app.app_id), items.APPS, changes, condition, failure)


def delete_disabled_app(app: App) -> Write:
    def delete(tx: Transaction) -> None:
        tx.delete(
            AppModel(app.app_id),
            condition=AppModel.enabled == False,  # noqa: E712 - a PynamoDB condition
            failure=Conflict(f"app {app.app_id} was enabled meanwhile; disable it and retry"),
        )

    return delete
