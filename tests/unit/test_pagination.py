"""Opaque cursors: a listing's own cursor round-trips; anything else is a 400, never a crash."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.storage.pagination import Key, decode_cursor, encode_cursor

ATTRIBUTES = {"viewer", "sk"}
FIXED = {"viewer": "acc-a"}
LAST_KEY: Key = {"viewer": {"S": "acc-a"}, "sk": {"S": "2026-11-22T05:00:00.000Z#req-1"}}


def cursor_of(value: Any) -> str:
    """A cursor as a forger would make one: any JSON, encoded the way ours are."""
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def refused(cursor: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        decode_cursor(cursor, ATTRIBUTES, FIXED)
    return caught.value


def test_a_cursor_round_trips_to_the_key_it_was_made_from() -> None:
    cursor = encode_cursor(LAST_KEY)
    assert cursor is not None
    assert decode_cursor(cursor, ATTRIBUTES, FIXED) == LAST_KEY


def test_a_cursor_is_url_safe_and_unpadded() -> None:
    key: Key = {"viewer": {"S": "acc-a"}, "sk": {"S": "??>>~~" * 5}}
    cursor = encode_cursor(key)
    assert cursor is not None
    assert not set(cursor) & set("+/=")
    assert decode_cursor(cursor, ATTRIBUTES, FIXED) == key


@pytest.mark.parametrize("last_key", [None, {}])
def test_no_next_page_is_no_cursor(last_key: Key | None) -> None:
    assert encode_cursor(last_key) is None


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_starts_at_the_beginning(cursor: str | None) -> None:
    assert decode_cursor(cursor, ATTRIBUTES, FIXED) is None


def test_a_cursor_from_another_accounts_listing_is_refused() -> None:
    foreign = encode_cursor({**LAST_KEY, "viewer": {"S": "acc-b"}})
    assert foreign is not None
    error = refused(foreign)
    assert error.field == "cursor"
    assert "next_cursor" in error.message


@pytest.mark.parametrize(
    "forged",
    [
        [LAST_KEY],
        "acc-a",
        {"viewer": {"S": "acc-a"}},  # an attribute short
        {**LAST_KEY, "extra": {"S": "x"}},  # an attribute too many
        {**LAST_KEY, "sk": "2026"},  # not an attribute value
        {**LAST_KEY, "sk": {"N": "1"}},  # another type
        {**LAST_KEY, "sk": {"S": "a", "N": "1"}},
        {**LAST_KEY, "sk": {"S": 1}},
        {**LAST_KEY, "viewer": {"S": None}},
    ],
)
def test_a_cursor_not_shaped_like_this_listings_key_is_refused(forged: Any) -> None:
    assert refused(cursor_of(forged)).field == "cursor"


@pytest.mark.parametrize(
    "garbage",
    ["!!!", "a", "abcde", "é", "////", cursor_of(LAST_KEY)[:-3], "bm90IGpzb24", "_w"],
)
def test_garbage_is_refused_as_a_validation_error(garbage: str) -> None:
    assert refused(garbage).field == "cursor"


@given(cursor=st.text(alphabet=st.characters(exclude_categories=())))
def test_no_text_makes_decoding_fail_otherwise(cursor: str) -> None:
    try:
        key = decode_cursor(cursor, ATTRIBUTES, FIXED)
    except ValidationFailed as error:
        assert error.field == "cursor"
    else:
        assert key is None or key["viewer"] == {"S": "acc-a"}
