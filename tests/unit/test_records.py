"""Who sees a call record: the API's owner and the app's owner, each once."""

from __future__ import annotations

import pytest

from chalicelib.domain.records import CallRecord

RECORD = CallRecord("req-1", "2026-11-22T05:00:00.000Z", "GET", "/p", "1.2.3.4", "RELEASE", "x")


@pytest.mark.parametrize(
    ("provider", "caller", "viewers"),
    [
        ("acc-p", "acc-c", ("acc-p", "acc-c")),
        ("acc-a", "acc-a", ("acc-a",)),
        ("acc-p", "", ("acc-p",)),  # no app found: only the API's owner
        ("", "acc-c", ("acc-c",)),  # no route found: only the app's owner
        ("", "", ()),  # nobody's: logged, never stored
    ],
)
def test_viewers_are_the_api_owner_then_the_app_owner_without_repeats(
    provider: str, caller: str, viewers: tuple[str, ...]
) -> None:
    record = RECORD._replace(provider_account_id=provider, caller_account_id=caller)
    assert record.viewers == viewers
