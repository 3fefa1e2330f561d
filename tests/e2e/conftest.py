"""The end-to-end suite: the real local run, shared by the session (tests/support/local_server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local_server import FIGURES, LocalRun, running_local


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The check that no secret leaked reads what the whole end-to-end suite saw: run it last."""
    last = [item for item in items if item.get_closest_marker("after_e2e")]
    rest = [item for item in items if item not in last]
    # Right after the last end-to-end test, not at the very end of the session: run after the
    # unit suite it found the root's records missing (not understood yet; see the README).
    e2e = [i for i, item in enumerate(rest) if "tests/e2e/" in str(item.path).replace("\\", "/")]
    at = (e2e[-1] + 1) if e2e else len(rest)
    items[:] = rest[:at] + last + rest[at:]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in FIGURES:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def local() -> Iterator[LocalRun]:
    with running_local() as run:
        yield run


@pytest.fixture(scope="session")
def local_http() -> Iterator[LocalRun]:
    """The local run as an HTTP API (``APIAUTH_LOCAL_GATEWAY=http``), started on first use."""
    with running_local(APIAUTH_LOCAL_GATEWAY="http") as run:
        yield run
