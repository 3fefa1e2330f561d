"""The end-to-end suite: the real local run, shared by the session (tests/support/local_server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local_server import FIGURES, LocalRun, running_local


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The check that no secret leaked reads what the whole end-to-end suite saw: run it last."""
    last = [item for item in items if item.get_closest_marker("after_e2e")]
    items[:] = [item for item in items if item not in last] + last


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in FIGURES:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def local_rest() -> Iterator[LocalRun]:
    """The session's one local run as a REST API."""
    with running_local() as run:
        yield run


@pytest.fixture(scope="session")
def local(local_rest: LocalRun) -> LocalRun:
    # Under its own name too: a module that overrides ``local`` with parameters must depend on
    # ``local_rest``, not on ``local``; pytest would start a new session run for each of its
    # parameters and for the modules after it (the leak check then read an empty run).
    return local_rest


@pytest.fixture(scope="session")
def local_http() -> Iterator[LocalRun]:
    """The local run as an HTTP API (``APIAUTH_LOCAL_GATEWAY=http``), started on first use."""
    with running_local(APIAUTH_LOCAL_GATEWAY="http") as run:
        yield run
