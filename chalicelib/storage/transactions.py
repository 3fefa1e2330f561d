"""Atomic multi-item writes, with storage failures turned into domain errors.

A storage module offers each change a service may combine with others as a ``Write``: the
service collects them (an app, its key pair, the account's key counter, the audit event) and
``write()`` sends them as one transaction, without ever seeing an item.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, DomainError
from chalicelib.storage.items import Table


@functools.cache
def _connection() -> Connection:
    # Without an explicit host the request would go to real AWS, not the configured endpoint.
    config = settings()
    return Connection(region=config.region, host=config.dynamodb_endpoint)


class Transaction:
    """The operations of one TransactWriteItems request, sent in the order they are written,
    each with the domain error its condition failing means (``failure=``).

    The items are built here from the models' own request arguments (PynamoDB's public
    ``get_*_kwargs`` methods), so the list sent is this one: DynamoDB's cancellation reasons
    are one-to-one with it, and an operation's failure is found by its own place in it, never
    by a library's grouping of operations.
    """

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._failures: list[DomainError | None] = []

    def condition_check(
        self,
        model_cls: Any,
        hash_key: Any,
        range_key: Any = None,
        condition: Any = None,
        *,
        failure: DomainError | None = None,
    ) -> None:
        if condition is None:
            raise TypeError("a condition check needs a condition")
        arguments = model_cls.get_operation_kwargs_from_class(
            hash_key, range_key=range_key, condition=condition
        )
        self._add("ConditionCheck", arguments, failure)

    def delete(
        self, model: Any, condition: Any = None, *, failure: DomainError | None = None
    ) -> None:
        self._add("Delete", model.get_delete_kwargs_from_instance(condition=condition), failure)

    def save(
        self,
        model: Any,
        condition: Any = None,
        return_values: str | None = None,
        *,
        failure: DomainError | None = None,
    ) -> None:
        arguments = model.get_save_kwargs_from_instance(
            condition=condition, return_values_on_condition_failure=return_values
        )
        self._add("Put", arguments, failure)

    def update(
        self,
        model: Any,
        actions: list[Any],
        condition: Any = None,
        return_values: str | None = None,
        *,
        failure: DomainError | None = None,
    ) -> None:
        arguments = model.get_update_kwargs_from_instance(
            actions=actions, condition=condition, return_values_on_condition_failure=return_values
        )
        self._add("Update", arguments, failure)

    def _add(self, kind: str, arguments: dict[str, Any], failure: DomainError | None) -> None:
        self._items.append({kind: arguments})
        self._failures.append(failure)

    @property
    def items(self) -> list[dict[str, Any]]:
        """The TransactItems as they are sent."""
        return list(self._items)

    def failure_of(self, index: int) -> DomainError | None:
        """The failure named by the operation sent as the ``index``-th item."""
        return self._failures[index] if index < len(self._failures) else None

    def commit(self) -> None:
        try:
            _connection().dispatch("TransactWriteItems", {"TransactItems": self._items})
        except (BotoCoreError, ClientError) as error:
            # PynamoDB's own error, which parses DynamoDB's cancellation reasons.
            raise TransactWriteError("Failed to write transaction items", error) from error


@contextmanager
def atomic() -> Iterator[Transaction]:
    """A transaction; a cancelled one raises the ``failure=`` of the operation whose
    condition failed (or Conflict for a concurrent change), else the storage error."""
    transaction = Transaction()
    yield transaction
    try:
        transaction.commit()
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        for index, reason in enumerate(reasons):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                failure = transaction.failure_of(index)
                if failure is not None:
                    raise failure from error
        if any(reason is not None and reason.code == "TransactionConflict" for reason in reasons):
            # Another transaction touched the same items (e.g. the account's key counter).
            raise Conflict("a concurrent change touched the same items; retry") from error
        raise


Write = Callable[[Transaction], None]
"""One or a few operations of a transaction, made by a storage module, opaque to services."""


def field_actions(model_cls: Any, table: Table, changes: Mapping[str, Any]) -> list[Any]:
    """The update actions that set each field in ``changes`` (a value's names and values;
    None removes one), each stored as the table's codec writes it."""
    item = {name: table.attributes[name].write(value) for name, value in changes.items()}
    stored = model_cls.from_raw_data({name: v for name, v in item.items() if v is not None})
    return [
        getattr(model_cls, name).set(getattr(stored, name))
        if item[name] is not None
        else getattr(model_cls, name).remove()
        for name in changes
    ]


def update_fields(
    model: Any, table: Table, changes: Mapping[str, Any], condition: Any, failure: DomainError
) -> Write:
    """Set the fields in ``changes`` on ``model``'s item (an instance holding its key), if
    ``condition`` holds (the object is still its owner's), else ``failure``."""

    def update(tx: Transaction) -> None:
        actions = field_actions(type(model), table, changes)
        tx.update(model, actions=actions, condition=condition, failure=failure)

    return update


def write(*operations: Write) -> None:
    """All the operations or none: one TransactWriteItems request."""
    with atomic() as transaction:
        for operation in operations:
            operation(transaction)


def reset_connection() -> None:
    _connection.cache_clear()
