"""A real Chromium (Debian's ``chromium``, driven by Playwright) against the real local run.

The local run is started exactly as the end-to-end suite starts it (tests/support/local_server).
Without a Chromium on the machine every test here is skipped, with the reason in the summary
(``make test`` runs pytest with ``-rs``). Screenshots go to ``.artifacts/console/``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.console import Console
from tests.support.local_server import LocalRun, running_local

CHROMIUM = Path(os.environ.get("APIAUTH_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium reaches for Google's services, which a
# closed network refuses; none of them is needed to test a page on loopback.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000  # generous: a shared 2-core machine running the whole suite

pytestmark = pytest.mark.browser


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return (
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(apt-get install chromium, or set APIAUTH_CHROMIUM)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests skipped: playwright is not installed (requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    reason = _skip_reason()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run them (.ci/run installs chromium)")
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def console_server(playwright_driver: Any) -> Iterator[LocalRun]:
    # Its own run, not the end-to-end suite's: the console tests bind gateways and accounts
    # that change what the end-to-end tests of the same deployment see (the README's
    # walkthrough, registering an API without naming a gateway).
    with running_local() as run:
        yield run


@pytest.fixture
def context(playwright_driver: Any, console_server: LocalRun) -> Iterator[Any]:
    """A fresh browser profile per test (an empty user-data-dir), clipboard allowed."""
    with tempfile.TemporaryDirectory(prefix="apiauth-chromium-") as profile:
        browser_context = playwright_driver.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            locale="en-US",
        )
        browser_context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin=console_server.base_url
        )
        browser_context.set_default_timeout(TIMEOUT_MS)
        try:
            yield browser_context
        finally:
            browser_context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def console(
    context: Any, console_server: LocalRun, request: pytest.FixtureRequest
) -> Iterator[Console]:
    page = context.new_page()
    view = Console(page, console_server)
    yield view
    if request.node.stash.get(FAILED, False):
        view.shot(f"FAILED-{request.node.name}")  # what the page showed when the test failed
    assert view.errors == [], view.errors
