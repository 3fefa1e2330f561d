"""The expiry notifier (CONTRACT.md 4): hourly, every account's objects that end within 14
days (and again within 1), and enabled key pairs unused for ``APIAUTH_UNUSED_DAYS``, as
EventBridge events, each once.

Reads every account's apps, key pairs, AppCodes and grants by Query (``storage/expiry.py``):
an hour's work is a few requests per app, and nothing on the call path pays for it. A notice is
remembered only once EventBridge took it, so a failed put is sent on the next run.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import NamedTuple

from chalicelib.domain import expiry
from chalicelib.domain.clock import utc_now
from chalicelib.storage import event_bus
from chalicelib.storage import expiry as store

UNUSED_DAYS_VARIABLE = "APIAUTH_UNUSED_DAYS"
DEFAULT_UNUSED_DAYS = 90


class Run(NamedTuple):
    due: int  # notices due now, sent before or not
    sent: list[expiry.Notice]


def unused_days() -> int:
    raw = os.environ.get(UNUSED_DAYS_VARIABLE, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_UNUSED_DAYS


def notices_due(now: datetime) -> list[expiry.Notice]:
    days = unused_days()
    found: list[expiry.Notice] = []
    for account_id in store.account_ids():
        for app in store.apps_of(account_id):
            for key in store.key_pairs_of(app.app_id):
                found += expiry.key_pair_notices(key, now, days)
            for code in store.appcodes_of(app.app_id):
                found += expiry.appcode_notices(code, now)
        for grant in store.authorizations_granted_by(account_id):
            found += expiry.authorization_notices(grant, now)
    return found


def notify(now: datetime | None = None) -> Run:
    """One run: put the notices not sent before, and remember those EventBridge took."""
    now = now or utc_now()
    due = notices_due(now)
    sent_before = store.already_sent(notice.marker for notice in due)
    new = [notice for notice in due if notice.marker not in sent_before]
    taken = event_bus.put(new) if new else []
    store.remember_sent(taken, now)
    return Run(len(due), taken)
