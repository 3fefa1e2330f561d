"""Atomic multi-item writes, with storage failures turned into domain errors.

A storage module offers each change a service may combine with others as a ``Write``: the
service collects them (an app, its key pair, the account's key counter, the audit event) and
``write()`` sends them as one transaction, without ever seeing an item.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
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


class Transaction(TransactWrite):
    """A TransactWrite whose operations each say which domain error their condition means
    (``failure=``), so a cancelled transaction raises the error of the condition that failed,
    whatever order the operations were written in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._calls: list[tuple[str, DomainError | None]] = []

    def condition_check(self, *args: Any, failure: DomainError | None = None, **kw: Any) -> None:
        self._calls.append(("condition_check", failure))
        super().condition_check(*args, **kw)

    def delete(self, *args: Any, failure: DomainError | None = None, **kw: Any) -> None:
        self._calls.append(("delete", failure))
        super().delete(*args, **kw)

    def save(self, *args: Any, failure: DomainError | None = None, **kw: Any) -> None:
        self._calls.append(("save", failure))
        super().save(*args, **kw)

    def update(self, *args: Any, failure: DomainError | None = None, **kw: Any) -> None:
        self._calls.append(("update", failure))
        super().update(*args, **kw)

    def failure_of(self, sent_index: int) -> DomainError | None:
        """The failure named by the call that became the ``sent_index``-th item sent."""
        order = sorted(self._calls, key=lambda call: _SENT_ORDER.index(call[0]))
        return order[sent_index][1] if sent_index < len(order) else None


@contextmanager
def atomic() -> Iterator[Transaction]:
    """A transaction; a cancelled one raises the ``failure=`` of the operation whose
    condition failed (or Conflict for a concurrent change), else the storage error."""
    transaction = Transaction(connection=_connection())
    try:
        with transaction:
            yield transaction
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        for sent_index, reason in enumerate(reasons):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                failure = transaction.failure_of(sent_index)
                if failure is not None:
                    raise failure from error
        if any(reason is not None and reason.code == "TransactionConflict" for reason in reasons):
            # Another transaction touched the same items (e.g. the account's key counter).
            raise Conflict("a concurrent change touched the same items; retry") from error
        raise


Write = Callable[[Transaction], None]
"""One or a few operations of a transaction, made by a storage module, opaque to services."""


def write(*operations: Write) -> None:
    """All the operations or none: one TransactWriteItems request."""
    with atomic() as transaction:
        for operation in operations:
            operation(transaction)


def reset_connection() -> None:
    _connection.cache_clear()
