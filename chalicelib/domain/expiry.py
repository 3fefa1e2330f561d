"""What the expiry notifier tells an account's operator, and when (CONTRACT.md 4).

Pure: given the objects and the time, the notices due. Each notice names a marker that is
remembered once sent, so each object is told once per threshold: 14 days before, then 1 day
before. A notice first seen within a day of its end is sent once, as the 1-day notice. A
changed ``expires_at`` (or a new ``last_used_at``) is a new marker, so it is told again.
Times are the stored fixed-width UTC strings (``domain/clock.py``), compared as strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from chalicelib.domain.clock import format_time
from chalicelib.domain.objects import AppCode, Authorization, KeyPair

KEY_PAIR_EXPIRING = "Key Pair Expiring"
APPCODE_EXPIRING = "AppCode Expiring"
AUTHORIZATION_EXPIRING = "Authorization Expiring"
ROTATION_GRACE_ENDING = "Rotation Grace Ending"
KEY_PAIR_UNUSED = "Key Pair Unused"
DETAIL_TYPES = (
    KEY_PAIR_EXPIRING,
    APPCODE_EXPIRING,
    AUTHORIZATION_EXPIRING,
    ROTATION_GRACE_ENDING,
    KEY_PAIR_UNUSED,
)
SOURCE = "apiauth"
# Widest first: the notice of an object is the narrowest threshold it is within.
THRESHOLDS_DAYS = (14, 1)
# How long a sent marker is kept past the time it is about (the notices table's TTL).
MARKER_KEPT = timedelta(days=7)
UNUSED_MARKER_KEPT = timedelta(days=365)


class Notice(NamedTuple):
    detail_type: str
    detail: Mapping[str, object]
    marker: str  # once sent, this notice is not sent again
    forget_after: datetime  # the marker may go then (TTL)


def _expiring(
    detail_type: str,
    object_id: str,
    ends_at: str | None,
    detail: Mapping[str, object],
    now: datetime,
) -> Notice | None:
    if not ends_at or ends_at <= format_time(now):
        return None  # no end, or over: KEY_EXPIRED and the like say the rest
    within = [d for d in THRESHOLDS_DAYS if ends_at <= format_time(now + timedelta(days=d))]
    if not within:
        return None
    days = within[-1]
    marker = f"{detail_type}#{object_id}#{ends_at}#{days}d"
    detail = {**detail, "expires_at": ends_at, "threshold_days": days}
    forget = _parsed(ends_at) + MARKER_KEPT
    return Notice(detail_type, detail, marker, forget)


def _parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def key_pair_notices(key: KeyPair, now: datetime, unused_days: int) -> list[Notice]:
    """Expiry, the end of a rotation's grace, and an enabled pair left unused."""
    owner = {"account_id": key.account_id, "app_id": key.app_id, "access_key": key.access_key}
    # Markers follow the pair's identity: a new access key string is the same pair, told once.
    pair = key.identity
    found = [
        _expiring(KEY_PAIR_EXPIRING, pair, key.expires_at, owner, now),
        _expiring(ROTATION_GRACE_ENDING, pair, key.previous_secret_expires_at, owner, now),
    ]
    last = key.last_used_at or key.created_at
    if key.enabled and last <= format_time(now - timedelta(days=unused_days)):
        marker = f"{KEY_PAIR_UNUSED}#{pair}#{last}"
        detail = {**owner, "last_used_at": key.last_used_at, "unused_days": unused_days}
        found.append(Notice(KEY_PAIR_UNUSED, detail, marker, now + UNUSED_MARKER_KEPT))
    return [notice for notice in found if notice is not None]


def appcode_notices(code: AppCode, now: datetime) -> list[Notice]:
    detail = {"account_id": code.account_id, "app_id": code.app_id, "appcode_id": code.appcode_id}
    notice = _expiring(APPCODE_EXPIRING, code.appcode_id, code.expires_at, detail, now)
    return [notice] if notice else []


def authorization_notices(
    grant: Authorization, now: datetime, access_key: str | None = None
) -> list[Notice]:
    """Told to the provider, who granted it (the app's owner sees the app's own objects); a
    key pair's own grant names that pair's ``access_key`` now."""
    detail: dict[str, object] = {
        "account_id": grant.provider_account_id,
        "app_id": grant.app_id,
        "authorization_id": grant.authorization_id,
    }
    if grant.key_id is not None:
        detail["access_key"] = access_key
    notice = _expiring(
        AUTHORIZATION_EXPIRING, grant.authorization_id, grant.expires_at, detail, now
    )
    return [notice] if notice else []
