"""EventBridge: the notices go on ``APIAUTH_EVENT_BUS`` (CONTRACT.md 4).

The client (``storage/clients.py``) is built lazily, once, with botocore's standard endpoint
variables (moto's EventBridge in tests and the local run).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from chalicelib.domain.expiry import SOURCE, Notice
from chalicelib.storage import clients

BUS_VARIABLE = "APIAUTH_EVENT_BUS"
_PUT_EVENTS = 10  # PutEvents' limit of entries per request


def bus_name() -> str:
    return os.environ.get(BUS_VARIABLE) or "default"


def put(notices: Sequence[Notice]) -> list[Notice]:
    """Put each notice as an event; the notices EventBridge took (a failed entry is retried on
    the next run, since it is not remembered)."""
    taken: list[Notice] = []
    for start in range(0, len(notices), _PUT_EVENTS):
        batch = notices[start : start + _PUT_EVENTS]
        entries = [
            {
                "Source": SOURCE,
                "DetailType": notice.detail_type,
                "Detail": json.dumps(notice.detail, sort_keys=True),
                "EventBusName": bus_name(),
                "Resources": [],
            }
            for notice in batch
        ]
        answer = clients.events().put_events(Entries=entries)
        results = answer.get("Entries", [])
        taken += [n for n, r in zip(batch, results, strict=False) if r.get("EventId")]
    return taken
