"""Reading the admin tables: GetItem and Query with the bare client, items out for the codec.

One way for each kind of read (the writes are transactions, ``storage/transactions.py``):
items come back as DynamoDB's JSON and ``storage/items.py`` decodes them, as it does for the
authorizer's BatchGetItem (``storage/credentials.py``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.config import settings
from chalicelib.storage import clients
from chalicelib.storage.items import Item


def get_item(table: str, **key: str) -> Item | None:
    """The item with these key attributes (text values), or None."""
    response = clients.dynamodb().get_item(
        TableName=settings().table_name(table), Key={name: {"S": v} for name, v in key.items()}
    )
    item: Item | None = response.get("Item")
    return item


def query(
    table: str, index: str | None, key: Mapping[str, str], where: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The arguments of a Query for the items whose ``key`` attributes (the partition, maybe
    the sort key) and ``where`` attributes (a filter) equal these text values. Every name is
    a placeholder, so any attribute name is taken as it is."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def equal(prefix: str, conditions: Mapping[str, str]) -> str:
        terms = []
        for n, (name, value) in enumerate(conditions.items()):
            names[f"#{prefix}{n}"] = name
            values[f":{prefix}{n}"] = {"S": value}
            terms.append(f"#{prefix}{n} = :{prefix}{n}")
        return " AND ".join(terms)

    arguments: dict[str, Any] = {
        "TableName": settings().table_name(table),
        "KeyConditionExpression": equal("k", key),
    }
    if where:
        arguments["FilterExpression"] = equal("f", where)
    if index is not None:
        arguments["IndexName"] = index
    arguments.update(ExpressionAttributeNames=names, ExpressionAttributeValues=values)
    return arguments


def query_all(arguments: Mapping[str, Any]) -> list[Item]:
    """Every item a Query finds, page after page."""
    found: list[Item] = []
    request = dict(arguments)
    while True:
        response = clients.dynamodb().query(**request)
        found.extend(response.get("Items", []))
        if not response.get("LastEvaluatedKey"):
            return found
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


BATCH_GET_KEYS = 100  # BatchGetItem's limit per request
_BATCH_ATTEMPTS = 5


def batch_get(table: str, keys: Sequence[Item], projection: str | None = None) -> list[Item]:
    """The items of ``keys`` in ``table`` that exist, 100 keys to a BatchGetItem; keys left
    unprocessed (throttling) are asked again with a backoff, and still left after that is an
    error: never read "absent" from a throttled read."""
    name = settings().table_name(table)
    found: list[Item] = []
    for offset in range(0, len(keys), BATCH_GET_KEYS):
        wanted: dict[str, Any] = {"Keys": list(keys[offset : offset + BATCH_GET_KEYS])}
        if projection is not None:
            wanted["ProjectionExpression"] = projection
        pending: dict[str, Any] = {name: wanted}
        for attempt in range(_BATCH_ATTEMPTS):
            response = clients.dynamodb().batch_get_item(RequestItems=pending)
            found.extend(response.get("Responses", {}).get(name, []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                break
            time.sleep(0.01 * 2**attempt)
        if pending:
            raise RuntimeError(f"BatchGetItem left {table} keys unprocessed")
    return found
