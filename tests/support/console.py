"""One page of the console in a real Chromium, with the steps every browser test takes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.local_server import LocalRun
from tests.support.paths import ROOT

SHOTS = ROOT / ".artifacts" / "console"


class Console:
    """One page of the console, with the steps every test takes."""

    def __init__(self, page: Any, run: LocalRun) -> None:
        self.page = page
        self.run = run
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", lambda dialog: self.errors.append(f"JS dialog: {dialog.message}"))

    def open(self, route: str = "") -> None:
        # A dialog closed a moment ago takes its history entry back out (history.back(), which
        # the browser runs later): going elsewhere before that lands would be undone by it, a
        # race no person clicking is fast enough to meet.
        self.page.wait_for_function(
            "() => document.querySelector('dialog[open]')"
            " || !(history.state && history.state.dialogId)"
        )
        self.page.goto(f"{self.run.base_url}/console{('#/' + route) if route else ''}")

    def sign_in(self, token: str | None = None) -> None:
        self.open()
        self.page.fill("#token", token or self.run.token)
        self.page.click("form button[type=submit]")
        self.page.wait_for_selector("#create-app")

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def clipboard(self) -> str:
        return str(self.page.evaluate("navigator.clipboard.readText()"))
