"""A nonce used again after it stopped counting: the new call takes it over.

A verified call's record is keyed by its nonce, so a conditional put refused on the nonce
means either a replay (the nonce still counts) or an old record whose nonce has expired but
which DynamoDB has not deleted yet (TTL deletes lazily). Only the latter is taken over.
"""

from __future__ import annotations

import time

from chalicelib.storage import clients
from chalicelib.storage.calls import transaction
from chalicelib.storage.calls.items import Nonce, moved_id, table
from chalicelib.storage.calls.transaction import NONCE
from chalicelib.storage.items import Item


def take_over(item: Item, nonce: Nonce, old: Item) -> str:
    """Write ``item`` over the nonce's old record if that no longer counts: "" when written,
    "nonce" when the nonce is in use."""
    if not old:  # a racing write (TransactionConflict carries no item), or dynalite
        key = {"id": item["id"]}
        found = clients.dynamodb().get_item(TableName=table(), Key=key, ConsistentRead=True)
        old = found.get("Item") or {}
        if not old:  # gone since (TTL): the nonce is as good as unused; a new call decides
            return NONCE
    until, sort = nonce_state(old)
    if until is None or sort is None or until >= time.time():
        # Still counting, or a state this code did not write (an older version's copy, an
        # edited item): the nonce counts as used. Never taken over blind, never a raise.
        return NONCE
    # The nonce was used before, longer ago than it counts: a new call. Its old record is
    # kept under an id no nonce can produce (``m#``: every nonce's id starts ``n#``), still
    # listable; ``moved`` tells the aggregator it is counted.
    moved = {**old, "id": {"S": moved_id(nonce.key, sort)}, "moved": {"BOOL": True}}
    moved.pop("nonce_until", None)
    replace = {
        "TableName": table(),
        "Item": item,
        "ConditionExpression": "nonce_until = :until",
        "ExpressionAttributeValues": {":until": old["nonce_until"]},
    }
    keep = {"TableName": table(), "Item": moved, "ConditionExpression": "attribute_not_exists(id)"}
    # Either refused: a concurrent call took the nonce over first.
    writes = [transaction.put(replace, NONCE), transaction.put(keep, NONCE)]
    refused, _ = transaction.run(writes)
    return refused


def nonce_state(old: Item) -> tuple[float | None, str | None]:
    """Until when the item at a nonce id holds its nonce, and its sort key, each None where
    the item does not say so as ``items.record_item`` writes it."""
    until = old.get("nonce_until")
    sort = old.get("sk")
    number = until.get("N") if isinstance(until, dict) else None
    text = sort.get("S") if isinstance(sort, dict) else None
    try:
        value = float(number) if isinstance(number, str) else None
    except ValueError:
        value = None
    return value, (text if isinstance(text, str) and text else None)
