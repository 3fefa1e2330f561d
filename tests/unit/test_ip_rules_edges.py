"""Whitelist edges the main table leaves open: which refusal a malformed CIDR gets, the wording."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ip_rules import normalize_whitelist, parse_whitelist_entry

MALFORMED = "is not a valid whitelist entry"


@pytest.mark.parametrize("entry", ["1.2.3.4/8/33", "10.0.0.0/8/8", "1.2.3.4//32"])
def test_an_entry_with_two_slashes_is_malformed_whatever_follows_the_last(entry: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_whitelist_entry(entry)
    assert MALFORMED in caught.value.message


@pytest.mark.parametrize("entry", ["1.2.3.4/100", "1.2.3.4/032", "1.2.3.4/999"])
def test_a_prefix_of_three_digits_is_malformed_not_merely_too_long(entry: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_whitelist_entry(entry)
    assert MALFORMED in caught.value.message
    assert "over 32" not in caught.value.message


@pytest.mark.parametrize("entries", ["1.2.3.4", None, 7])
def test_entries_that_are_no_list_say_so(entries: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_whitelist(entries)
    assert caught.value.message == "entries: must be a list of strings"


def test_an_entry_that_is_no_string_says_so() -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_whitelist(["1.2.3.4", 5])  # type: ignore[list-item]
    assert caught.value.message == "entries[1]: must be a string"
