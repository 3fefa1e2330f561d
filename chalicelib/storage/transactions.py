"""Atomic multi-item writes, with storage failures turned into domain errors."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, DomainError


@functools.cache
def _connection() -> Connection:
    # Without an explicit host TransactWrite would talk to real AWS, not the configured endpoint.
    config = settings()
    return Connection(region=config.region, host=config.dynamodb_endpoint)


# PynamoDB sends a transaction's operations grouped by kind, in this order, so DynamoDB's
# cancellation reasons follow that order, not the order of the calls.
_SENT_ORDER = ("condition_check", "delete", "save", "update")


class _CallOrderTransactWrite(TransactWrite):
    """A TransactWrite that remembers the kind of each call, in call order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []

    def condition_check(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append("condition_check")
        super().condition_check(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append("delete")
        super().delete(*args, **kwargs)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append("save")
        super().save(*args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append("update")
        super().update(*args, **kwargs)

    def call_index(self, sent_index: int) -> int:
        """The call that became the ``sent_index``-th item of the request."""
        order = sorted(range(len(self.calls)), key=lambda i: _SENT_ORDER.index(self.calls[i]))
        return order[sent_index] if sent_index < len(order) else sent_index


@contextmanager
def atomic(*failures: DomainError | None) -> Iterator[TransactWrite]:
    """A transaction; ``failures[i]`` is raised when the i-th operation's condition fails.

    ``i`` counts the calls on the transaction in the order they were made.
    """
    transaction = _CallOrderTransactWrite(connection=_connection())
    try:
        with transaction:
            yield transaction
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        for sent_index, reason in enumerate(reasons):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                index = transaction.call_index(sent_index)
                failure = failures[index] if index < len(failures) else None
                if failure is not None:
                    raise failure from error
        if any(reason is not None and reason.code == "TransactionConflict" for reason in reasons):
            # Another transaction touched the same items (e.g. the account's key counter).
            raise Conflict("a concurrent change touched the same items; retry") from error
        raise


def reset_connection() -> None:
    _connection.cache_clear()
