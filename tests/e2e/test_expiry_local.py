"""The local run runs the expiry notifier on a schedule, as AWS runs it hourly (CONTRACT.md 4):
a key pair that ends in two days is told once, onto the embedded EventBridge."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from chalicelib.domain.clock import format_time, utc_now
from tests.support.local_server import running_local

pytestmark = pytest.mark.e2e


def test_the_local_run_tells_an_expiring_key_pair_once() -> None:
    with running_local(APIAUTH_NOTIFIER_SECONDS="1") as run:
        app = run.new_app()
        ends = format_time(utc_now() + timedelta(days=2))
        run.ok(run.post(f"/v1/apps/{app.app_id}/keys", {"expires_at": ends}), 201)

        def told() -> list[str]:
            return [line for line in run.output if line.startswith("expiry_notifier: ")]

        deadline = time.monotonic() + 30
        while not told() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert told() == ["expiry_notifier: 1 events put (Key Pair Expiring)"], run.output[-20:]
        time.sleep(3)  # three more runs: nothing new to tell
        assert len(told()) == 1
