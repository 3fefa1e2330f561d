"""What the admin API's shapes share: field types, the request base, the answer base.

A request model validates input at the edge and becomes a domain value; an answer model
(``Answer``) is at once the OpenAPI schema of a response and the code that builds its JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.limits import WINDOWS
from chalicelib.domain.verification import STAGES

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)]
Description = Annotated[str, StringConstraints(max_length=1024)]
AccessKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{8,32}$")]
MIN_DISTINCT_CHARACTERS = 8


def _not_weak(value: str) -> str:
    """A repeated or patterned value (``aaaa...``, ``abab...``) is as long as a generated one
    but guessable; a random 32-character value has about 25 different characters."""
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        raise ValueError(
            f"too weak: use at least {MIN_DISTINCT_CHARACTERS} different characters, "
            "or leave it out to have one generated"
        )
    return value


# A custom AppSecret or AppCode (CONTRACT.md 2): long enough to guess no faster than a
# generated one, and safe in a header.
CustomCredential = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_-]{32,64}$"),
    AfterValidator(_not_weak),
    Field(description="32-64 letters, digits, - or _, at least 8 of them different"),
]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128)]
TagValue = Annotated[str, StringConstraints(max_length=256)]
ExtensionValue = Annotated[str, StringConstraints(max_length=2048)]
Group = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Path = Annotated[str, StringConstraints(pattern=r"^/[^\s?#]{0,511}$")]
# Filter values end up inside DynamoDB keys (at most 2 KB); nothing we issue is this long.
Id = Annotated[str, StringConstraints(max_length=256)]
# Parsed by the services (naive times are UTC); documented as date-time so fuzzers send
# offsets, the kind of input that once overflowed.
QueryTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]
Time = Annotated[str, Field(description="ISO-8601 UTC with milliseconds")]

# The domain's own lists, as the enums of the document (the console reads them there).
if TYPE_CHECKING:
    Stage = str
    Window = str
else:
    Stage = Literal[STAGES]
    Window = Literal[WINDOWS]

MAX_TAGS = 20
MAX_EXTENSION_BYTES = 2048


class Strict(BaseModel):
    """A request: unknown fields are a 400."""

    model_config = ConfigDict(extra="forbid")


def examples(*values: dict[str, Any]) -> ConfigDict:
    """A request model's config with its OpenAPI examples."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(values)})


class Answer(BaseModel):
    """A response: its fields are read from a domain value of the same names, the others are
    computed by the view (``chalicelib/http/views.py``). A field with a default (a secret) is
    in the JSON only when the view gives it."""

    @classmethod
    def of(cls, source: object, **computed: Any) -> dict[str, Any]:
        read = {
            name: getattr(source, name)
            for name, field in cls.model_fields.items()
            if field.is_required() and name not in computed and hasattr(source, name)
        }
        answer = cls.model_validate(read | computed)
        return answer.model_dump(mode="json", by_alias=True, exclude_unset=True)


def check_tags(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None and len(value) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags, got {len(value)}")
    return value


def check_extension(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None:
        size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
        if size > MAX_EXTENSION_BYTES:
            raise ValueError(f"at most {MAX_EXTENSION_BYTES} bytes once serialized, got {size}")
    return value


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


class Page(Strict):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = None
