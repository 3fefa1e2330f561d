"""Call records, their statistics and the audit trail: the filters and the answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.verdicts import FAILURE, MESSAGES, SUCCESS
from chalicelib.http.schemas.common import Answer, Id, Page, QueryTime, Strict, Time


class RecordFilter(Page):
    app_id: Id | None = None
    api_id: Id | None = None
    access_key: Id | None = None
    result: Id | None = Field(
        default=None,
        description="success, failure or one verdict code",
        examples=[SUCCESS, FAILURE, *MESSAGES],
    )
    request_id: Id | None = Field(
        default=None,
        description="the one call with this request id: the X-Ca-Request-Id its caller saw (on"
        " an HTTP API, apigw-requestid); the other filters must match it too. A refusal is found"
        " at once; an allowed call among the successes, newest first, a page of reads at a time"
        " (an empty page with next_cursor reads further back; from/to narrow it)",
    )
    from_: QueryTime | None = Field(default=None, alias="from")
    to: QueryTime | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StatsFilter(Strict):
    app_id: Id | None = None
    api_id: Id | None = None
    from_: QueryTime | None = Field(default=None, alias="from")
    to: QueryTime | None = None
    bucket: Literal["minute", "hour", "day"] = "hour"

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AuditFilter(Page):
    action: Id | None = Field(default=None, description="e.g. app.create or key.reveal")
    object_id: Id | None = None
    token_id: Id | None = None
    from_: QueryTime | None = Field(default=None, alias="from")
    to: QueryTime | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CallRecordView(BaseModel):
    request_id: str
    time: Time
    method: str
    path: str
    stage: str | None
    api_id: str | None
    app_id: str | None
    access_key: str | None
    auth_method: str | None
    source_ip: str | None
    result: str
    latency_ms: float | None
    caller_account_id: str | None
    provider_account_id: str | None
    secret: str | None = Field(description="which secret verified: current or previous")
    retry_after: int | None = Field(description="seconds, on THROTTLED or QUOTA_EXHAUSTED")


class CallRecordList(BaseModel):
    items: list[CallRecordView]
    next_cursor: str | None
    retention_days: int
    scanned_count: int


class StatsBucket(BaseModel):
    start: Time
    counts: dict[str, int]


class Stats(BaseModel):
    bucket: Literal["minute", "hour", "day"]
    from_: Time = Field(alias="from")
    to: Time
    items: list[StatsBucket]
    retention_days: int


class AuditEvent(Answer):
    event_id: str
    time: Time
    account_id: str
    token_id: str
    action: str
    object_type: str
    object_id: str
    changes: dict[str, object]


class AuditList(Answer):
    items: list[AuditEvent]
    next_cursor: str | None
    retention_days: int
