"""Time in one format everywhere: ISO-8601 UTC with milliseconds, fixed width, so strings sort."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.errors import ValidationFailed


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text[:-6] + "Z"  # "+00:00" -> "Z"; isoformat keeps the year four digits wide


def parse_time(value: object, field: str) -> datetime:
    """Parse an ISO-8601 time from a client; naive times are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("must be an ISO-8601 time such as 2026-11-22T05:00:00Z", field)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{value!r} is not an ISO-8601 time; use e.g. 2026-11-22T05:00:00Z", field
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # an offset that moves it before year 1 or past year 9999
        raise ValidationFailed(
            f"{value!r} is out of range once converted to UTC; use e.g. 2026-11-22T05:00:00Z",
            field,
        ) from None
