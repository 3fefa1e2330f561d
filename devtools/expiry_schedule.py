"""Locally, what the hourly EventBridge schedule of ``expiry_notifier`` does in AWS: a daemon
thread runs the same ``notify`` every minute (``APIAUTH_NOTIFIER_SECONDS``), putting the
events on the embedded moto server's EventBridge (``AWS_ENDPOINT_URL_EVENTBRIDGE``)."""

from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger("apiauth.expiry_notifier")
INTERVAL_VARIABLE = "APIAUTH_NOTIFIER_SECONDS"


def start_expiry_schedule(stop: threading.Event) -> threading.Thread:
    interval = float(os.environ.get(INTERVAL_VARIABLE) or 60)

    def every_interval() -> None:
        from chalicelib.services.expiry_notifier import notify

        while not stop.wait(interval):
            try:
                run = notify()
            except Exception:  # a bad run must not end the schedule, as on AWS
                logger.exception("expiry_notifier failed; next run in %.0f s", interval)
                continue
            if run.sent:
                kinds = sorted({notice.detail_type for notice in run.sent})
                told = f"{len(run.sent)} events put ({', '.join(kinds)})"
                print(f"expiry_notifier: {told}", flush=True)

    thread = threading.Thread(target=every_interval, name="expiry-notifier", daemon=True)
    thread.start()
    return thread
