"""APIs (method + path template) and the authorizations to call them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StrictBool, StrictInt, create_model

from chalicelib.domain.admin import (
    KEEP,
    ApiChanges,
    AuthorizationChanges,
    NewApi,
    NewAuthorization,
)
from chalicelib.domain.limits import WINDOWS, Limit, limits_from
from chalicelib.http.schemas.common import (
    AccessKey,
    Answer,
    Description,
    FutureTime,
    Group,
    Id,
    Method,
    Name,
    Page,
    Path,
    Stage,
    Strict,
    Time,
    Window,
    examples,
)
from chalicelib.http.schemas.gateways import GatewayId


class CreateApi(Strict):
    model_config = examples(
        {"name": "orders", "method": "GET", "path": "/orders/{id}", "group": "shop"}
    )

    name: Name
    method: Method
    path: Path
    gateway_id: GatewayId | None = None
    group: Group | None = None
    description: Description = ""

    def value(self) -> NewApi:
        return NewApi(**self.model_dump())


class UpdateApi(Strict):
    model_config = examples({"description": "one order by id"})

    name: Name | None = None
    method: Method | None = None
    path: Path | None = None
    group: Group | None = None
    description: Description | None = None

    def changes(self) -> ApiChanges:
        return ApiChanges(**self.model_dump())


LimitValue = Annotated[StrictInt, Field(gt=0, le=1_000_000_000)]


class _Limits(Strict):
    """Calls an authorization allows per UTC window; a window left out is unlimited."""

    def value(self) -> tuple[Limit, ...]:
        return limits_from(self.model_dump())


# One optional field per window of the domain's WINDOWS.
if TYPE_CHECKING:
    Limits = _Limits
else:
    Limits = create_model(
        "Limits",
        __base__=_Limits,
        __doc__=_Limits.__doc__,
        **{window: (LimitValue | None, None) for window in WINDOWS},
    )


class CreateAuthorization(Strict):
    model_config = examples(
        {"app_id": "app-0123456789abcdef", "group": "shop", "stages": ["RELEASE"]}
    )

    app_id: Name | None = Field(default=None, description="the app, of any account")
    access_key: AccessKey | None = Field(
        default=None, description="instead of app_id: one key pair, of any account's app"
    )
    api_id: Name | None = None
    group: Group | None = None
    all: StrictBool = False
    stages: list[Stage] | None = Field(default=None, min_length=1)
    expires_at: FutureTime | None = None
    limits: Limits | None = None

    def value(self) -> NewAuthorization:
        return NewAuthorization(
            app_id=self.app_id,
            access_key=self.access_key,
            api_id=self.api_id,
            group=self.group,
            all_apis=self.all,
            stages=tuple(self.stages or ()),
            expires_at=self.expires_at,
            limits=self.limits.value() if self.limits else (),
        )


class UpdateAuthorization(Strict):
    stages: list[Stage] | None = Field(default=None, min_length=1)
    expires_at: FutureTime | None = Field(default=None, description="null: no end")
    limits: Limits | None = Field(default=None, description="replaced whole; {} or null: none")

    def changes(self) -> AuthorizationChanges:
        """Only the fields sent: null clears one, a field left out stays as it is."""
        sent = self.model_fields_set
        return AuthorizationChanges(
            stages=(tuple(self.stages) if self.stages else None) if "stages" in sent else KEEP,
            expires_at=self.expires_at if "expires_at" in sent else KEEP,
            limits=(self.limits.value() if self.limits else None) if "limits" in sent else KEEP,
        )


class AuthorizationFilter(Page):
    app_id: Id | None = None
    api_id: Id | None = None
    access_key: Id | None = Field(default=None, description="one key pair's own grants")


class ApiView(Answer):
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


class ApiList(Answer):
    items: list[ApiView]
    next_cursor: str | None


class WindowUsage(Answer):
    limit: int
    used: int
    remaining: int
    resets_at: Time


class AuthorizationView(Answer):
    authorization_id: str
    app_id: str
    access_key: str | None = Field(
        description="a key pair's own grant: that pair's access key now; null: the whole app"
    )
    provider_account_id: str
    api_id: str | None
    group: str | None
    all: bool
    stages: list[Stage]
    expires_at: Time | None
    limits: dict[Window, int]
    usage: dict[Window, WindowUsage] = Field(description="each limited window's use now")
    created_at: Time
    updated_at: Time


class AuthorizationList(Answer):
    items: list[AuthorizationView]
    next_cursor: str | None
