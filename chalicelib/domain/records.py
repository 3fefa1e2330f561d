"""A call record: what the authorizer decided about one call, for the accounts that may see it."""

from __future__ import annotations

from typing import NamedTuple


class CallRecord(NamedTuple):
    request_id: str
    time: str  # formatted (clock.format_time), so records sort by it
    method: str
    path: str
    source_ip: str
    stage: str
    result: str  # "success" or a verdict code
    latency_ms: float = 0.0
    auth_method: str = ""
    access_key: str = ""
    app_id: str = ""
    api_id: str = ""
    caller_account_id: str = ""  # the app's owner
    provider_account_id: str = ""  # the API's owner
    secret: str = ""  # which secret verified: "current" or "previous" (a rotation's grace)
    retry_after: int = 0  # seconds, on a THROTTLED or QUOTA_EXHAUSTED denial

    @property
    def viewers(self) -> tuple[str, ...]:
        """The accounts that see this record: the API's owner and the app's owner."""
        return tuple(
            v for v in dict.fromkeys((self.provider_account_id, self.caller_account_id)) if v
        )


class RecordRef(NamedTuple):
    """Where a written record is, for the body check to correct its result."""

    viewers: tuple[str, ...]
    record_id: str
