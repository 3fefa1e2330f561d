from __future__ import annotations

from ipaddress import IPv4Network
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ip_rules import (
    MAX_WHITELIST_ENTRIES,
    compile_whitelist,
    is_ip_allowed,
    normalize_whitelist,
    parse_whitelist_entry,
)

ALLOWED_FORMS_HINT = "192.168.1.*"


@pytest.mark.parametrize(
    ("entry", "network"),
    [
        ("1.2.3.4", "1.2.3.4/32"),
        ("0.0.0.0", "0.0.0.0/32"),
        ("255.255.255.255", "255.255.255.255/32"),
        ("192.168.1.*", "192.168.1.0/24"),
        ("172.16.*.*", "172.16.0.0/16"),
        ("10.*.*.*", "10.0.0.0/8"),
        ("*.*.*.*", "0.0.0.0/0"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("192.168.1.0/24", "192.168.1.0/24"),
        ("1.2.3.4/32", "1.2.3.4/32"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("  1.2.3.4\t", "1.2.3.4/32"),
    ],
)
def test_accepted_entries(entry: str, network: str) -> None:
    assert parse_whitelist_entry(entry) == IPv4Network(network)


@pytest.mark.parametrize(
    ("entry", "message_part"),
    [
        ("::1", "IPv6 is not supported"),
        ("2001:db8::/32", "IPv6 is not supported"),
        ("::ffff:1.2.3.4", "IPv6 is not supported"),
        ("1.2.3", ALLOWED_FORMS_HINT),
        ("256.1.1.1", ALLOWED_FORMS_HINT),
        ("01.2.3.4", ALLOWED_FORMS_HINT),
        ("192.*.1.1", ALLOWED_FORMS_HINT),
        ("192.168.1.1*", ALLOWED_FORMS_HINT),
        ("10.*.*.*/8", ALLOWED_FORMS_HINT),
        ("*", ALLOWED_FORMS_HINT),
        ("10.0.0.1/8", "did you mean '10.0.0.0/8'"),
        ("192.168.1.7/24", "did you mean '192.168.1.0/24'"),
        (" 1.2.3.4/33", "prefix length over 32"),
        ("1.2.3.4/255.255.255.0", ALLOWED_FORMS_HINT),
        ("10.0.0.0/08", ALLOWED_FORMS_HINT),
        ("10.0.0.0/", ALLOWED_FORMS_HINT),
        ("/8", ALLOWED_FORMS_HINT),
        ("", ALLOWED_FORMS_HINT),
        ("abc", ALLOWED_FORMS_HINT),
    ],
)
def test_refused_entries(entry: str, message_part: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_whitelist_entry(entry, field="entries[3]")
    assert caught.value.field == "entries[3]"
    assert message_part in caught.value.message
    assert repr(entry.strip()) in caught.value.message


def test_refusal_names_default_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_whitelist_entry("abc")
    assert caught.value.field == "entry"


def test_normalize_strips_and_removes_duplicates_in_order() -> None:
    entries = [" 10.0.0.0/8", "1.2.3.4", "10.0.0.0/8 ", "192.168.1.*", "1.2.3.4"]
    assert normalize_whitelist(entries) == ["10.0.0.0/8", "1.2.3.4", "192.168.1.*"]


def test_normalize_keeps_entries_as_written() -> None:
    # Equivalent forms are distinct entries: only exact duplicates are folded.
    assert normalize_whitelist(["10.*.*.*", "10.0.0.0/8"]) == ["10.*.*.*", "10.0.0.0/8"]


def test_normalize_accepts_empty_list() -> None:
    assert normalize_whitelist([]) == []


def test_normalize_accepts_the_maximum() -> None:
    entries = [f"10.0.0.{index}" for index in range(MAX_WHITELIST_ENTRIES)]
    assert normalize_whitelist(entries) == entries


def test_error_on_more_than_fifty_entries() -> None:
    entries = [f"10.0.0.{index}" for index in range(MAX_WHITELIST_ENTRIES + 1)]
    with pytest.raises(ValidationFailed) as caught:
        normalize_whitelist(entries)
    assert caught.value.field == "entries"
    assert "50" in caught.value.message


def test_error_names_the_offending_index() -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_whitelist(["1.2.3.4", "10.0.0.0/8", "::1"])
    assert caught.value.field == "entries[2]"
    assert "IPv6 is not supported" in caught.value.message


@pytest.mark.parametrize("entry", [None, 5, ["1.2.3.4"], b"1.2.3.4"])
def test_error_on_non_string_entry(entry: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_whitelist(["1.2.3.4", entry])
    assert caught.value.field == "entries[1]"


@pytest.mark.parametrize("entries", ["1.2.3.4", None, {"1.2.3.4": True}])
def test_error_when_entries_is_not_a_list(entries: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_whitelist(entries)
    assert caught.value.field == "entries"


def test_compile_whitelist() -> None:
    assert compile_whitelist(["1.2.3.4", "192.168.1.*", "10.0.0.0/8"]) == (
        IPv4Network("1.2.3.4/32"),
        IPv4Network("192.168.1.0/24"),
        IPv4Network("10.0.0.0/8"),
    )


WHITELIST = compile_whitelist(["1.2.3.4", "192.168.1.*", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("ip", "networks", "allowed"),
    [
        ("8.8.8.8", (), True),
        ("::1", (), True),
        ("garbage", (), True),
        ("1.2.3.4", WHITELIST, True),
        ("1.2.3.5", WHITELIST, False),
        ("192.168.1.0", WHITELIST, True),
        ("192.168.1.255", WHITELIST, True),
        ("192.168.2.1", WHITELIST, False),
        ("10.255.255.255", WHITELIST, True),
        ("11.0.0.0", WHITELIST, False),
        ("::1", WHITELIST, False),
        ("::ffff:1.2.3.4", WHITELIST, False),
        ("2001:db8::1", compile_whitelist(["*.*.*.*"]), False),
        ("203.0.113.9", compile_whitelist(["*.*.*.*"]), True),
        ("", WHITELIST, False),
        ("not-an-ip", WHITELIST, False),
        ("1.2.3.4/32", WHITELIST, False),
        (" 1.2.3.4", WHITELIST, False),
        ("01.2.3.4", WHITELIST, False),
    ],
)
def test_is_ip_allowed(ip: str, networks: tuple[IPv4Network, ...], allowed: bool) -> None:
    assert is_ip_allowed(ip, networks) is allowed


@pytest.mark.parametrize("ip", [None, 16909060, b"\x01\x02\x03\x04"])
def test_non_text_caller_ip_is_refused(ip: Any) -> None:
    assert is_ip_allowed(ip, WHITELIST) is False


# Mostly the characters entries are made of, so the generator reaches the parsers' edges.
ENTRY_LIKE = st.text(
    alphabet=st.one_of(st.sampled_from("0123456789.*/: "), st.characters(exclude_categories=()))
)


@given(ip=ENTRY_LIKE)
def test_is_ip_allowed_never_raises(ip: str) -> None:
    assert isinstance(is_ip_allowed(ip, WHITELIST), bool)


@given(entry=ENTRY_LIKE)
def test_parse_gives_a_network_or_validation_failed(entry: str) -> None:
    try:
        network = parse_whitelist_entry(entry)
    except ValidationFailed as error:
        assert error.field == "entry"
    else:
        assert isinstance(network, IPv4Network)


# Whitelist edges the main table leaves open: which refusal a malformed CIDR gets, the wording.


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
