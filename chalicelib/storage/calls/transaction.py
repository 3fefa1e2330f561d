"""The nonce-and-counters transaction: a record's put (its nonce) with its limits' counters.

The TransactItems are built here, so DynamoDB's cancellation reasons, one per item in the
order sent, are matched to the item they name: "nonce" for a conditional put, a counter's
window for its update.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import NamedTuple

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.storage import clients
from chalicelib.storage.items import Item

CONFLICT_RETRIES = 4
NONCE = "nonce"  # the refusal of a conditional put: its nonce is in use


class Counter(NamedTuple):
    """One window's counter of an authorization's limit, raised by an allowed call."""

    key: str
    limit: int
    expires_at: int  # epoch seconds: TTL, after the window
    window: str


class Named(NamedTuple):
    """One TransactItem and what its condition failing means ("" for nothing)."""

    item: Item
    refusal: str


def put(request: Item, refusal: str) -> Named:
    return Named({"Put": request}, refusal)


def run(writes: Sequence[Named], counters: Sequence[Counter]) -> tuple[str, Item]:
    """Run ``writes`` and the counters' updates as one transaction: "" when written, else
    the refusal of the condition that failed ("nonce" first: "nonce unused" comes before the
    limits) with the old item the first write found."""
    named = [*writes, *(Named({"Update": _counter_update(c)}, c.window) for c in counters)]
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            clients.dynamodb().transact_write_items(TransactItems=[n.item for n in named])
            return "", {}
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            codes = [reason.get("Code") for reason in reasons]
            pairs = [(n.refusal, code) for n, code in zip(named, codes, strict=False)]
            failed = [name for name, code in pairs if code == "ConditionalCheckFailed"]
            # A concurrent request with the same nonce: a replay racing the original.
            racing = [name for name, code in pairs if code == "TransactionConflict"]
            if failed or NONCE in racing:
                old = (reasons[0].get("Item") if reasons else None) or {}
                return (NONCE if NONCE in failed + racing else failed[0]), old
            if not racing or attempt == CONFLICT_RETRIES:
                raise
            # Other calls raising the same counters at once: nothing was written, try again.
            time.sleep(random.uniform(0.005, 0.02) * 2**attempt)
    raise AssertionError("unreachable")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _counter_update(counter: Counter) -> Item:
    return {
        "TableName": settings().table_name("counters"),
        "Key": {"counter_key": {"S": counter.key}},
        "UpdateExpression": "ADD calls :one SET expires_at = :expires",
        "ConditionExpression": "attribute_not_exists(calls) OR calls < :limit",
        "ExpressionAttributeValues": {
            ":one": {"N": "1"},
            ":limit": {"N": str(counter.limit)},
            ":expires": {"N": str(counter.expires_at)},
        },
    }
