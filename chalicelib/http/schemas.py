"""Request models: they validate input at the edge and generate the OpenAPI document."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Description = Annotated[str, StringConstraints(max_length=1024)]
AccessKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{8,32}$")]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128)]
TagValue = Annotated[str, StringConstraints(max_length=256)]
Group = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Path = Annotated[str, StringConstraints(pattern=r"^/[^\s?#]{0,511}$")]
Stage = Literal["TEST", "PRE", "RELEASE"]
# Filter values end up inside DynamoDB keys (at most 2 KB); nothing we issue is this long.
Id = Annotated[str, StringConstraints(max_length=256)]
# Parsed by the services (naive times are UTC); documented as date-time so fuzzers send
# offsets, the kind of input that once overflowed.
QueryTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]

MAX_TAGS = 20
MAX_EXTENSION_BYTES = 2048


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_tags(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None and len(value) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags, got {len(value)}")
    return value


def _check_extension(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None:
        size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
        if size > MAX_EXTENSION_BYTES:
            raise ValueError(f"at most {MAX_EXTENSION_BYTES} bytes once serialized, got {size}")
    return value


class CreateAccount(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "acme"}]})

    name: Name


class CreateToken(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "ci"}]})

    name: Name


class CreateApp(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "shop",
                    "description": "the web shop",
                    "tags": {"env": "prod"},
                    "extension": {"tier": "gold"},
                }
            ]
        },
    )

    name: Name
    description: Description = ""
    tags: dict[TagKey, TagValue] | None = None
    extension: dict[TagKey, Annotated[str, StringConstraints(max_length=2048)]] | None = None
    access_key: AccessKey | None = None

    _tags = field_validator("tags")(_check_tags)
    _extension = field_validator("extension")(_check_extension)


class UpdateApp(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "shop", "enabled": False}]}
    )

    name: Name | None = None
    description: Description | None = None
    tags: dict[TagKey, TagValue] | None = None
    extension: dict[TagKey, Annotated[str, StringConstraints(max_length=2048)]] | None = None
    enabled: StrictBool | None = None

    _tags = field_validator("tags")(_check_tags)
    _extension = field_validator("extension")(_check_extension)


class CopyApp(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "shop (staging)"}]}
    )

    name: Name | None = None


class CreateKey(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "ci", "access_key": "CiKey0001"}]}
    )

    access_key: AccessKey | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = None
    expires_at: FutureTime | None = None


class UpdateKey(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "ci", "enabled": True}]}
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = None
    enabled: StrictBool | None = None
    access_key: AccessKey | None = None
    expires_at: FutureTime | None = Field(default=None, description="null: never expires")


class Whitelist(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"entries": ["203.0.113.7", "192.168.1.*", "10.0.0.0/8"]}]},
    )

    entries: list[str] = Field(description="IPv4 addresses, ranges like 192.168.1.* or CIDRs")


GatewayId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$"),
    Field(description="the REST API's id as requestContext.apiId gives it, e.g. a1b2c3d4e5"),
]
BaseUrl = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[^\s?#]{1,500}$"),
    Field(description="e.g. https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"),
]


class CreateGateway(Strict):
    gateway_id: GatewayId
    account_id: Name
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] = ""
    base_url: BaseUrl | None = None


class UpdateGateway(Strict):
    account_id: Name | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = None
    base_url: BaseUrl | None = None


class CreateApi(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "orders", "method": "GET", "path": "/orders/{id}", "group": "shop"}
            ]
        },
    )

    name: Name
    method: Method
    path: Path
    gateway_id: GatewayId | None = None
    group: Group | None = None
    description: Description = ""


class UpdateApi(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"description": "one order by id"}]}
    )

    name: Name | None = None
    method: Method | None = None
    path: Path | None = None
    group: Group | None = None
    description: Description | None = None


def _future_utc(value: datetime | None) -> datetime | None:
    """A time in the future, in UTC (naive times are UTC); a past time is a 400."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        # Normalized here: an offset that pushes the time past year 9999 is a 400, not a 500.
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range; use e.g. 2026-11-22T05:00:00Z") from None
    if value <= datetime.now(UTC):
        raise ValueError("must be in the future")
    return value


FutureTime = Annotated[datetime, AfterValidator(_future_utc)]


Limit = Annotated[StrictInt, Field(gt=0, le=1_000_000_000)]


class Limits(Strict):
    """Calls an authorization allows per UTC window; a window left out is unlimited."""

    per_second: Limit | None = None
    per_minute: Limit | None = None
    per_day: Limit | None = None
    per_month: Limit | None = None


class CreateAuthorization(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"app_id": "app-0123456789abcdef", "group": "shop", "stages": ["RELEASE"]}]
        },
    )

    app_id: Name
    api_id: Name | None = None
    group: Group | None = None
    all: StrictBool = False
    stages: list[Stage] | None = Field(default=None, min_length=1)
    expires_at: FutureTime | None = None
    limits: Limits | None = None


class UpdateAuthorization(Strict):
    stages: list[Stage] | None = Field(default=None, min_length=1)
    expires_at: FutureTime | None = Field(default=None, description="null: no end")
    limits: Limits | None = Field(default=None, description="replaced whole; {} or null: none")


class ResetSecret(Strict):
    grace_seconds: StrictInt = Field(
        default=0, ge=0, le=604800, description="how long the previous secret still verifies"
    )


class CreateAppCode(Strict):
    expires_at: FutureTime | None = None


class Page(Strict):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = None


class AppFilter(Page):
    name: Id | None = None
    tag: Annotated[str, StringConstraints(max_length=512, pattern=r"^[\s\S]+:")] | None = Field(
        default=None, description="k:v; matches an app with the tag k of value v"
    )


class AuthorizationFilter(Page):
    app_id: Id | None = None
    api_id: Id | None = None


class KeyQuery(Strict):
    reveal: bool = False


class RecordFilter(Page):
    app_id: Id | None = None
    api_id: Id | None = None
    access_key: Id | None = None
    result: Id | None = None
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


# -- answers: they only describe the JSON the routes return, for the OpenAPI document ---------

Time = Annotated[str, Field(description="ISO-8601 UTC with milliseconds")]


class KeyView(BaseModel):
    access_key: str
    app_id: str
    name: str
    enabled: bool
    is_default: bool
    created_at: Time
    updated_at: Time
    last_used_at: Time | None
    call_count: int
    expires_at: Time | None = Field(description="past it, every call is KEY_EXPIRED")
    previous_secret_expires_at: Time | None = Field(
        description="during a rotation's grace: until then the previous secret verifies too"
    )
    secret: str | None = Field(
        default=None, description="only where a secret is issued or revealed"
    )


class KeyWithSecret(KeyView):
    secret: str  # type: ignore[assignment]


class AppView(BaseModel):
    app_id: str
    account_id: str
    name: str
    description: str
    tags: dict[str, str]
    extension: dict[str, str]
    enabled: bool
    whitelist: list[str]
    default_access_key: str
    created_at: Time
    updated_at: Time
    last_used_at: Time | None
    call_count: int


class AppCreated(AppView):
    keys: list[KeyWithSecret] = Field(min_length=1, max_length=1)


class AppCodeSummary(BaseModel):
    appcode_id: str
    app_id: str
    created_at: Time
    expires_at: Time | None


class WindowUsage(BaseModel):
    limit: int
    used: int
    remaining: int
    resets_at: Time


class AuthorizationView(BaseModel):
    authorization_id: str
    app_id: str
    provider_account_id: str
    api_id: str | None
    group: str | None
    all: bool
    stages: list[Stage]
    expires_at: Time | None
    limits: dict[Literal["per_second", "per_minute", "per_day", "per_month"], int]
    usage: dict[Literal["per_second", "per_minute", "per_day", "per_month"], WindowUsage] = Field(
        description="each limited window's use now"
    )
    created_at: Time
    updated_at: Time


class AppDetail(AppView):
    keys: list[KeyView]
    appcodes: list[AppCodeSummary]
    authorizations: list[AuthorizationView]


class AppCopied(AppDetail):
    keys: list[KeyWithSecret] = Field(min_length=1, max_length=1)  # type: ignore[assignment]


class AppList(BaseModel):
    items: list[AppView]
    next_cursor: str | None


class TokenView(BaseModel):
    token_id: str
    name: str
    account_id: str
    is_root: bool
    created_at: Time


class TokenCreated(TokenView):
    token: str


class TokenList(BaseModel):
    items: list[TokenView]
    next_cursor: str | None


class AccountCreated(BaseModel):
    account_id: str
    name: str
    token: str


class ApiView(BaseModel):
    api_id: str
    account_id: str
    gateway_id: str
    call_url: str | None = Field(description="the gateway's base URL + path, if it has one")
    name: str
    method: Method
    path: str
    group: str | None
    description: str
    created_at: Time
    updated_at: Time


class ApiList(BaseModel):
    items: list[ApiView]
    next_cursor: str | None


class AuthorizationList(BaseModel):
    items: list[AuthorizationView]
    next_cursor: str | None


class AppCodeCreated(AppCodeSummary):
    appcode: str


class GatewayView(BaseModel):
    gateway_id: str
    account_id: str
    name: str
    base_url: str | None
    checks_bodies: bool = Field(
        description="this deployment's own REST API: form-bodied calls are verified there"
    )
    created_at: Time
    updated_at: Time


class GatewayList(BaseModel):
    items: list[GatewayView]
    next_cursor: str | None


class WhitelistView(BaseModel):
    app_id: str
    entries: list[str]


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


class AuditEvent(BaseModel):
    event_id: str
    time: Time
    account_id: str
    token_id: str
    action: str
    object_type: str
    object_id: str
    changes: dict[str, object]


class AuditList(BaseModel):
    items: list[AuditEvent]
    next_cursor: str | None
    retention_days: int
