"""The transaction of a nonce taken over: the record's put with the copy kept of the old one.

The TransactItems are built here, so DynamoDB's cancellation reasons, one per item in the
order sent, are matched to the item they name ("nonce" for a conditional put).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import NamedTuple

from botocore.exceptions import ClientError

from chalicelib.storage import clients
from chalicelib.storage.items import Item

CONFLICT_RETRIES = 4
NONCE = "nonce"  # the refusal of a conditional put: its nonce is in use


class Named(NamedTuple):
    """One TransactItem and what its condition failing means ("" for nothing)."""

    item: Item
    refusal: str


def put(request: Item, refusal: str) -> Named:
    return Named({"Put": request}, refusal)


def run(named: Sequence[Named]) -> tuple[str, Item]:
    """Run ``named`` as one transaction: "" when written, else the refusal of the condition
    that failed ("nonce" first) with the old item the first write found."""
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
            # Another transaction on the same items at once: nothing was written, try again.
            time.sleep(random.uniform(0.005, 0.02) * 2**attempt)
    raise AssertionError("unreachable")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
