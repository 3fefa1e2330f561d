"""Reading the limit counters the authorizer keeps (CounterModel), for the admin API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.domain.clock import format_time
from chalicelib.domain.limits import Limit, current_windows
from chalicelib.storage.models import CounterModel


def usage(
    authorizations: Sequence[tuple[str, tuple[Limit, ...]]], now: datetime
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per authorization id and window: limit, used, remaining and when the window resets."""
    wanted = {
        authorization_id: current_windows(limits, now)
        for authorization_id, limits in authorizations
        if limits
    }
    keys = [w.counter_key(a) for a, windows in wanted.items() for w in windows]
    used = {item.counter_key: int(item.calls or 0) for item in CounterModel.batch_get(keys)}
    return {
        authorization_id: {
            window.window: {
                "limit": window.limit,
                "used": min(used.get(window.counter_key(authorization_id), 0), window.limit),
                "remaining": max(
                    window.limit - used.get(window.counter_key(authorization_id), 0), 0
                ),
                "resets_at": format_time(window.end),
            }
            for window in windows
        }
        for authorization_id, windows in wanted.items()
    }
