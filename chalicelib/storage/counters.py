"""Reading the limit counters the authorizer keeps (``calls/counting.py``), for the admin API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.domain.clock import format_time
from chalicelib.domain.limits import Limit, current_windows
from chalicelib.storage import reads
from chalicelib.storage.calls.counting import used as counted
from chalicelib.storage.items import Item


def usage(
    authorizations: Sequence[tuple[str, tuple[Limit, ...]]], now: datetime
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per authorization id and window: limit, used, remaining and when the window resets."""
    wanted = {
        authorization_id: current_windows(limits, now)
        for authorization_id, limits in authorizations
        if limits
    }
    items = _items(list(wanted))
    report: dict[str, dict[str, dict[str, Any]]] = {}
    for authorization_id, windows in wanted.items():
        item = items.get(authorization_id, {})
        report[authorization_id] = {}
        for window in windows:
            used = counted(item, window.window, window.start_key)
            report[authorization_id][window.window] = {
                "limit": window.limit,
                "used": min(used, window.limit),
                "remaining": max(window.limit - used, 0),
                "resets_at": format_time(window.end),
            }
    return report


def _items(keys: list[str]) -> dict[str, Item]:
    """The counter items of ``keys`` (authorization ids), by key."""
    found = reads.batch_get("counters", [{"counter_key": {"S": key}} for key in keys])
    return {item["counter_key"]["S"]: item for item in found}
