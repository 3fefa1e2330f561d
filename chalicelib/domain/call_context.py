"""The authorizer's context: what API Gateway hands the backend with a call (CONTRACT.md 3.3).

One definition, written by the authorizer and read back by the body check and the routes.
API Gateway passes it on as a map of strings (``requestContext.authorizer``); ``to_map`` and
``from_map`` are the only places its keys are spelled. A NamedTuple, not a frozen dataclass:
this module is on the authorizer's cold-start path (see ``verification``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from chalicelib.domain.records import RecordRef

# The body check takes the whole decision again with the form body (DESIGN decision 3).
FORM_BODY = "form"

# What the backend reads about an allowed call, present even when empty (access_key is empty
# for an AppCode call); every other field only when it is set.
_ALLOWED_FIELDS = (
    "app_id",
    "access_key",
    "auth_method",
    "account_id",
    "provider_account_id",
    "api_id",
    "stage",
    "extension",
)
# Ours: where the record is, and the deferral; routes never show them.
_INTERNAL_FIELDS = frozenset({"record_id", "body_check"})


class CallContext(NamedTuple):
    app_id: str = ""
    access_key: str = ""
    auth_method: str = ""  # "signature" or "appcode": set for an allowed call only
    account_id: str = ""  # the app's owner
    provider_account_id: str = ""  # the API's owner
    api_id: str = ""
    stage: str = ""
    extension: str = ""  # the app's extension object as JSON, as CaAppExtInfo
    request_id: str = ""
    record_id: str = ""  # the allowed call's record, which the body check may correct
    secret: str = ""  # "current" or "previous" (a rotation's grace): signed calls
    content_md5: str = ""  # the signed Content-MD5, for a backend to compare with its body
    body_check: str = ""  # FORM_BODY: nothing decided yet, the body check decides
    retry_after: int = 0  # seconds, on a THROTTLED or QUOTA_EXHAUSTED denial

    @classmethod
    def deferred(cls, request_id: str) -> CallContext:
        """A form-bodied call on this deployment's own gateway, left to the body check."""
        return cls(request_id=request_id, body_check=FORM_BODY)

    @property
    def allowed(self) -> bool:
        return bool(self.auth_method)

    @property
    def from_request_authorizer(self) -> bool:
        """Whether the REQUEST authorizer let this call through (not the admin one)."""
        return self.allowed or bool(self.body_check)

    @property
    def record_ref(self) -> RecordRef:
        """Where the authorizer wrote the allowed call's record, and who sees it."""
        viewers = (self.provider_account_id, self.account_id)
        return RecordRef(tuple(v for v in dict.fromkeys(viewers) if v), self.record_id)

    def to_map(self) -> dict[str, str]:
        """The string map API Gateway passes on."""
        values: dict[str, str] = {}
        for name, value in zip(self._fields, self, strict=True):
            if value or (self.allowed and name in _ALLOWED_FIELDS):
                values[name] = str(value)
        return values

    def public(self) -> dict[str, str]:
        """The map without our bookkeeping: what a route shows its caller."""
        return {k: v for k, v in self.to_map().items() if k not in _INTERNAL_FIELDS}

    @classmethod
    def from_map(cls, values: Mapping[str, object]) -> CallContext:
        """The context in API Gateway's map; other entries (``principalId``) are ignored."""
        found = {
            name: value
            for name, value in values.items()
            if name in cls._fields and isinstance(value, str)
        }
        retry_after = found.pop("retry_after", "")
        seconds = int(retry_after) if retry_after.isascii() and retry_after.isdigit() else 0
        return cls(**found, retry_after=seconds)
