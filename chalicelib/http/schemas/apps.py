"""Apps, their whitelist and AppCodes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints, field_validator

from chalicelib.domain.admin import KEEP, AppChanges, AppCodeChanges, NewApp
from chalicelib.http.schemas.apis import AuthorizationView
from chalicelib.http.schemas.common import (
    AccessKey,
    Answer,
    CustomCredential,
    Description,
    ExtensionValue,
    FutureTime,
    Id,
    Method,
    Name,
    Page,
    Strict,
    TagKey,
    TagValue,
    Time,
    check_extension,
    check_tags,
    examples,
)
from chalicelib.http.schemas.keys import KeyView, KeyWithSecret


class CreateApp(Strict):
    model_config = examples(
        {
            "name": "shop",
            "description": "the web shop",
            "tags": {"env": "prod"},
            "extension": {"tier": "gold"},
        }
    )

    name: Name
    description: Description = ""
    tags: dict[TagKey, TagValue] | None = None
    extension: dict[TagKey, ExtensionValue] | None = None
    access_key: AccessKey | None = None
    secret: CustomCredential | None = Field(
        default=None, description="a custom AppSecret for the default key pair"
    )

    _tags = field_validator("tags")(check_tags)
    _extension = field_validator("extension")(check_extension)

    def value(self) -> NewApp:
        return NewApp(**self.model_dump(exclude_none=True))


class UpdateApp(Strict):
    model_config = examples({"name": "shop", "enabled": False})

    name: Name | None = None
    description: Description | None = None
    tags: dict[TagKey, TagValue] | None = None
    extension: dict[TagKey, ExtensionValue] | None = None
    enabled: StrictBool | None = None

    _tags = field_validator("tags")(check_tags)
    _extension = field_validator("extension")(check_extension)

    def changes(self) -> AppChanges:
        return AppChanges(**self.model_dump())


class CopyApp(Strict):
    model_config = examples({"name": "shop (staging)"})

    name: Name | None = None


class Whitelist(Strict):
    model_config = examples({"entries": ["203.0.113.7", "192.168.1.*", "10.0.0.0/8"]})

    entries: list[str] = Field(description="IPv4 addresses, ranges like 192.168.1.* or CIDRs")


class CreateAppCode(Strict):
    appcode: CustomCredential | None = Field(
        default=None, description="a custom AppCode, unique across the deployment"
    )
    expires_at: FutureTime | None = None


class UpdateAppCode(Strict):
    appcode: CustomCredential | None = Field(
        default=None, description="a new code: the old one stops within the cache TTL"
    )
    expires_at: FutureTime | None = Field(default=None, description="null: never expires")

    def changes(self) -> AppCodeChanges:
        sent = self.model_fields_set
        return AppCodeChanges(
            appcode=self.appcode,
            expires_at=self.expires_at if "expires_at" in sent else KEEP,
        )


class AppFilter(Page):
    name: Id | None = Field(default=None, description="part of the app's name, in any case")
    tag: Annotated[str, StringConstraints(max_length=512, pattern=r"^[\s\S]+:")] | None = Field(
        default=None, description="k:v; matches an app with the tag k of value v"
    )


class AppView(Answer):
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


class AppCodeSummary(Answer):
    appcode_id: str
    app_id: str
    created_at: Time
    expires_at: Time | None


class AppCodeCreated(AppCodeSummary):
    appcode: str


class GrantedApiView(Answer):
    authorization_id: str = Field(description="the grant (of another account) that covers it")
    api_id: str
    account_id: str
    name: str
    method: Method
    path: str
    group: str | None
    call_url: str | None


class AppDetail(AppView):
    keys: list[KeyView]
    appcodes: list[AppCodeSummary]
    authorizations: list[AuthorizationView]
    granted_apis: list[GrantedApiView] = Field(
        default_factory=list,
        description="other accounts' APIs this app's grants cover, with where to call them",
    )


class AppCopied(AppDetail):
    keys: list[KeyWithSecret] = Field(min_length=1, max_length=1)  # type: ignore[assignment]


class AppList(Answer):
    items: list[AppView]
    next_cursor: str | None


class WhitelistView(Answer):
    app_id: str
    entries: list[str]
