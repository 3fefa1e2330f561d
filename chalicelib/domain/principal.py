"""Who makes an admin call, and the tenancy rule every admin read and write follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from chalicelib.domain.errors import NotFound


@dataclass(frozen=True)
class Principal:
    """The holder of an admin token: its account, which token, and whether it is root."""

    account_id: str
    token_id: str
    is_root: bool


class Owned(Protocol):
    @property
    def account_id(self) -> str: ...


OwnedT = TypeVar("OwnedT", bound=Owned)


def owned(item: OwnedT | None, principal: Principal, label: str, key: str) -> OwnedT:
    """The item if the caller's account owns it; another account's item is simply not found."""
    if item is None or item.account_id != principal.account_id:
        raise NotFound(f"{label} {key} not found")
    return item
