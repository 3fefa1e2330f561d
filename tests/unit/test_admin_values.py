"""The few rules the admin values carry themselves: a tag filter's candidates, a grant's scope."""

from __future__ import annotations

import pytest

from chalicelib.domain.admin import MAX_TAG_FILTER_COLONS, Authorization, tag_filter
from chalicelib.domain.errors import ValidationFailed


def test_a_tag_filter_tries_every_split_at_a_colon() -> None:
    assert tag_filter("env:prod") == [("env", "prod")]
    assert tag_filter("a:b:c") == [("a", "b:c"), ("a:b", "c")]
    assert tag_filter("k:") == [("k", "")]


@pytest.mark.parametrize(
    "tag", ["", "nocolon", ":value", ":", "k" + ":" * (MAX_TAG_FILTER_COLONS + 1)]
)
def test_a_tag_filter_needs_a_key_and_a_colon_and_few_colons(tag: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        tag_filter(tag)
    assert raised.value.field == "tag"
    assert f"at most {MAX_TAG_FILTER_COLONS} colons" in raised.value.message


def test_a_tag_filter_may_have_the_most_colons_allowed() -> None:
    assert len(tag_filter("k" + ":" * MAX_TAG_FILTER_COLONS)) == MAX_TAG_FILTER_COLONS


@pytest.mark.parametrize(
    ("target", "all_apis"),
    [("all#acc-1", True), ("api#api-1", False), ("group#acc-1#all", False)],
)
def test_a_grant_covers_all_apis_only_for_an_all_target(target: str, all_apis: bool) -> None:
    grant = Authorization(
        app_id="app-1",
        target=target,
        authorization_id="auth-1",
        provider_account_id="acc-1",
        app_account_id="acc-2",
        api_id=None,
        group=None,
        stages=("RELEASE",),
        expires_at=None,
        limits=(),
        created_at="2026-11-22T05:00:00.000Z",
    )
    assert grant.all_apis is all_apis


def test_a_change_gives_only_the_fields_sent_and_null_clears_only_where_it_may() -> None:
    from chalicelib.domain.admin import KEEP, AppChanges, AuthorizationChanges, KeyChanges, given

    assert given(AppChanges()) == {}
    assert given(AppChanges(name="shop", enabled=False)) == {"name": "shop", "enabled": False}
    # An app's field cannot be cleared: None is "not sent".
    assert given(AppChanges(description=None)) == {}
    assert given(KeyChanges(expires_at=None)) == {"expires_at": None}
    assert given(KeyChanges(expires_at=KEEP, name="")) == {"name": ""}
    assert given(AuthorizationChanges(limits=None, stages=KEEP)) == {"limits": None}
