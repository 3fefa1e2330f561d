"""The tenancy rule: an item is the caller's only if its account owns it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.domain.principal import Principal, owned

CALLER = Principal("acc-a", "tok-1", False)


@dataclass(frozen=True)
class Item:
    account_id: str


def test_an_item_of_the_callers_account_is_returned_as_is() -> None:
    item = Item("acc-a")
    assert owned(item, CALLER, "app", "app-1") is item


@pytest.mark.parametrize("item", [None, Item("acc-b")], ids=["missing", "another-account"])
def test_a_missing_item_and_another_accounts_item_are_both_not_found(item: Item | None) -> None:
    with pytest.raises(NotFound) as raised:
        owned(item, CALLER, "app", "app-1")
    assert str(raised.value) == "app app-1 not found"

