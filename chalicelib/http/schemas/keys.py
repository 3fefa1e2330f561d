"""Key pairs: adding one to an app, changing, rotating and revealing one."""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictInt

from chalicelib.domain.admin import KeyChanges
from chalicelib.http.schemas.common import (
    AccessKey,
    Answer,
    CustomCredential,
    FutureTime,
    OptionalName,
    Strict,
    Time,
    examples,
)


class CreateKey(Strict):
    model_config = examples({"name": "ci", "access_key": "CiKey0001"})

    access_key: AccessKey | None = None
    secret: CustomCredential | None = None
    name: OptionalName | None = None
    expires_at: FutureTime | None = None


class UpdateKey(Strict):
    model_config = examples({"name": "ci", "enabled": True})

    name: OptionalName | None = None
    enabled: StrictBool | None = None
    access_key: AccessKey | None = None
    secret: CustomCredential | None = Field(
        default=None, description="a custom secret, in effect within the cache TTL"
    )
    expires_at: FutureTime | None = Field(default=None, description="null: never expires")

    def changes(self) -> KeyChanges:
        return KeyChanges(**self.model_dump(exclude_unset=True))


class ResetSecret(Strict):
    grace_seconds: StrictInt = Field(
        default=0, ge=0, le=604800, description="how long the previous secret still verifies"
    )


class KeyQuery(Strict):
    reveal: bool = False


class KeyView(Answer):
    access_key: str
    key_id: str = Field(description="the pair's identity: it stays when the access key changes")
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
    whitelist: list[str] = Field(description="the pair's own IP whitelist, besides the app's")
    secret: str | None = Field(
        default=None, description="only where a secret is issued or revealed"
    )


class KeyWithSecret(KeyView):
    secret: str  # type: ignore[assignment]


class KeyWhitelistView(Answer):
    access_key: str
    app_id: str
    entries: list[str]
