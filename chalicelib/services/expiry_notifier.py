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
from chalicelib.domain.objects import Authorization
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
    pairs: dict[str, dict[str, str]] = {}  # app id -> its key pairs' identity -> access key
    for account_id in store.account_ids():
        for app in store.apps_of(account_id):
            keys = store.key_pairs_of(app.app_id)
            pairs[app.app_id] = {key.identity: key.access_key for key in keys}
            for key in keys:
                found += expiry.key_pair_notices(key, now, days)
            for code in store.appcodes_of(app.app_id):
                found += expiry.appcode_notices(code, now)
        for grant in store.authorizations_granted_by(account_id):
            notices = expiry.authorization_notices(grant, now)
            if notices and grant.key_id is not None:  # name the pair by its access key now
                access_key = _access_key(grant, pairs)
                notices = expiry.authorization_notices(grant, now, access_key)
            found += notices
    return found


def _access_key(grant: Authorization, pairs: dict[str, dict[str, str]]) -> str | None:
    """The access key now of a key pair's own grant; each app's pairs read once a run."""
    if grant.app_id not in pairs:
        pairs[grant.app_id] = {p.identity: p.access_key for p in store.key_pairs_of(grant.app_id)}
    return pairs[grant.app_id].get(grant.key_id or "")


def notify(now: datetime | None = None) -> Run:
    """One run: put the notices not sent before, and remember those EventBridge took."""
    now = now or utc_now()
    due = notices_due(now)
    sent_before = store.already_sent(notice.marker for notice in due)
    new = [notice for notice in due if notice.marker not in sent_before]
    taken = event_bus.put(new) if new else []
    store.remember_sent(taken, now)
    return Run(len(due), taken)
