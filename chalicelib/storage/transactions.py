"""Atomic multi-item writes, with storage failures turned into domain errors."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain.errors import DomainError


@functools.cache
def _connection() -> Connection:
    # Without an explicit host TransactWrite would talk to real AWS, not the configured endpoint.
    config = settings()
    return Connection(region=config.region, host=config.dynamodb_endpoint)


@contextmanager
def atomic(*failures: DomainError | None) -> Iterator[TransactWrite]:
    """A transaction; ``failures[i]`` is raised when the i-th operation's condition fails."""
    try:
        with TransactWrite(connection=_connection()) as transaction:
            yield transaction
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        for index, reason in enumerate(reasons):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                failure = failures[index] if index < len(failures) else None
                if failure is not None:
                    raise failure from error
        raise


def reset_connection() -> None:
    _connection.cache_clear()
