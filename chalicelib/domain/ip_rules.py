"""App IP whitelists: IPv4 addresses, trailing-wildcard ranges and CIDR blocks."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network

from chalicelib.domain.errors import ValidationFailed

MAX_WHITELIST_ENTRIES = 50

ALLOWED_FORMS = (
    "use an IPv4 address (192.168.1.10), a trailing wildcard range (192.168.1.*) "
    "or a CIDR block (192.168.1.0/24)"
)


def _refuse(entry: str, field: str) -> ValidationFailed:
    return ValidationFailed(
        f"{entry!r} is not a valid whitelist entry; {ALLOWED_FORMS}", field=field
    )


def _parse_wildcard(entry: str, field: str) -> IPv4Network:
    octets = entry.split(".")
    if len(octets) != 4:
        raise _refuse(entry, field)
    fixed = octets[: octets.index("*")] if "*" in octets else octets
    # Only whole trailing octets may be wildcards: "192.*.1.1" names no single block.
    if any(octet != "*" for octet in octets[len(fixed) :]):
        raise _refuse(entry, field)
    base = ".".join([*fixed, *["0"] * (4 - len(fixed))])
    try:
        IPv4Address(base)
    except ValueError:
        raise _refuse(entry, field) from None
    return IPv4Network(f"{base}/{8 * len(fixed)}")


def _parse_cidr(entry: str, field: str) -> IPv4Network:
    address, _, prefix = entry.partition("/")
    # ipaddress would also take netmask forms ("/255.0.0.0"); only prefix lengths are offered.
    if not (prefix.isdecimal() and len(prefix) <= 2 and str(int(prefix)) == prefix):
        raise _refuse(entry, field)
    if int(prefix) > 32:
        raise ValidationFailed(
            f"{entry!r} has a prefix length over 32; {ALLOWED_FORMS}", field=field
        )
    try:
        IPv4Address(address)
    except ValueError:
        raise _refuse(entry, field) from None
    try:
        return IPv4Network(entry)
    except ValueError:
        network = IPv4Network(entry, strict=False)
        raise ValidationFailed(
            f"{entry!r} has host bits set; did you mean {str(network)!r}?", field=field
        ) from None


def parse_whitelist_entry(entry: str, *, field: str = "entry") -> IPv4Network:
    # Messages quote the entry as it will be stored, without surrounding whitespace.
    entry = entry.strip()
    if ":" in entry:
        raise ValidationFailed(
            f"{entry!r} looks like an IPv6 address; IPv6 is not supported, {ALLOWED_FORMS}",
            field=field,
        )
    if "*" in entry:
        return _parse_wildcard(entry, field)
    if "/" in entry:
        return _parse_cidr(entry, field)
    try:
        return IPv4Network(IPv4Address(entry))
    except ValueError:
        raise _refuse(entry, field) from None


def normalize_whitelist(entries: Sequence[str]) -> list[str]:
    # A bare string is a Sequence[str] too, and would otherwise be read one character per entry.
    if isinstance(entries, str) or not isinstance(entries, Sequence):
        raise ValidationFailed("must be a list of strings", field="entries")
    # Counted as sent, before any parsing, so an oversized payload costs nothing to refuse.
    if len(entries) > MAX_WHITELIST_ENTRIES:
        raise ValidationFailed(
            f"at most {MAX_WHITELIST_ENTRIES} entries are allowed, got {len(entries)}",
            field="entries",
        )
    normalized: list[str] = []
    for index, entry in enumerate(entries):
        field = f"entries[{index}]"
        if not isinstance(entry, str):
            raise ValidationFailed("must be a string", field=field)
        text = entry.strip()
        parse_whitelist_entry(text, field=field)
        if text not in normalized:
            normalized.append(text)
    return normalized


def compile_whitelist(entries: Sequence[str]) -> tuple[IPv4Network, ...]:
    return tuple(parse_whitelist_entry(entry) for entry in entries)


def is_ip_allowed(ip: str, networks: Sequence[IPv4Network]) -> bool:
    if not networks:
        return True
    # ip_address() would turn an int into an address; only text from the request counts.
    if not isinstance(ip, str):
        return False
    try:
        address = ipaddress.ip_address(ip)
    except (TypeError, ValueError):
        return False
    # An IPv6 caller never matches: whitelists hold IPv4 networks only.
    if not isinstance(address, IPv4Address):
        return False
    return any(address in network for network in networks)
