"""Which notices are due (domain/expiry.py): thresholds, once per threshold, unused keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import expiry
from chalicelib.domain.clock import format_time
from chalicelib.domain.objects import AppCode, Authorization, KeyPair

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def at(**delta: float) -> str:
    return format_time(NOW + timedelta(**delta))


def key(**fields: object) -> KeyPair:
    base: dict[str, object] = {
        "access_key": "ExpKey01",
        "app_id": "app-1",
        "account_id": "acct-1",
        "name": "",
        "enabled": True,
        "is_default": False,
        "created_at": at(days=-1),
        "updated_at": at(days=-1),
        "secret_sealed": b"sealed",
        "data_key_sealed": b"key",
    }
    return KeyPair(**(base | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ends", "threshold"),
    [
        (at(days=20), None),
        (at(days=14, seconds=1), None),
        (at(days=14), 14),
        (at(days=2), 14),
        (at(hours=23), 1),
        (at(seconds=1), 1),
        (at(seconds=0), None),
        (at(days=-3), None),
    ],
)
def test_an_expiry_is_told_at_the_narrowest_threshold_it_is_within(
    ends: str, threshold: int | None
) -> None:
    notices = expiry.key_pair_notices(key(expires_at=ends), NOW, 90)
    if threshold is None:
        assert notices == []
    else:
        [notice] = notices
        assert notice.detail_type == expiry.KEY_PAIR_EXPIRING
        assert notice.detail == {
            "account_id": "acct-1",
            "app_id": "app-1",
            "access_key": "ExpKey01",
            "expires_at": ends,
            "threshold_days": threshold,
        }


def test_the_marker_differs_per_threshold_and_per_expiry_so_each_is_told_once() -> None:
    ends = at(days=5)
    early = expiry.key_pair_notices(key(expires_at=ends), NOW, 90)[0]
    same = expiry.key_pair_notices(key(expires_at=ends), NOW + timedelta(days=1), 90)[0]
    late = expiry.key_pair_notices(key(expires_at=ends), NOW + timedelta(days=4.5), 90)[0]
    moved = expiry.key_pair_notices(key(expires_at=at(days=6)), NOW, 90)[0]
    assert early.marker == same.marker
    assert len({early.marker, late.marker, moved.marker}) == 3
    assert early.forget_after > NOW + timedelta(days=5)


def test_the_end_of_a_rotations_grace_is_its_own_notice() -> None:
    [notice] = expiry.key_pair_notices(key(previous_secret_expires_at=at(days=3)), NOW, 90)
    assert notice.detail_type == expiry.ROTATION_GRACE_ENDING
    assert notice.detail["expires_at"] == at(days=3)


@pytest.mark.parametrize(
    ("fields", "told"),
    [
        ({"last_used_at": at(days=-91)}, True),
        ({"last_used_at": at(days=-89)}, False),
        ({"created_at": at(days=-100)}, True),  # never used
        ({"created_at": at(days=-100), "last_used_at": at(days=-1)}, False),
        ({"created_at": at(days=-100), "enabled": False}, False),
    ],
)
def test_an_enabled_key_pair_unused_for_the_set_days_is_told(
    fields: dict[str, object], told: bool
) -> None:
    notices = expiry.key_pair_notices(key(**fields), NOW, 90)
    assert [n.detail_type for n in notices] == ([expiry.KEY_PAIR_UNUSED] if told else [])
    if told:
        assert notices[0].detail["last_used_at"] == fields.get("last_used_at")


def all_apis_grant() -> Authorization:
    """Provider ``prov``'s grant of all its APIs to app-1 of acct-1, ending in 7 days."""
    return Authorization(
        "app-1",
        "all#prov",
        "au-1",
        "prov",
        "acct-1",
        None,
        None,
        ("RELEASE",),
        at(days=7),
        (),
        at(days=-1),
    )


def test_appcodes_and_authorizations_name_their_own_ids_and_owner() -> None:
    code = AppCode("hash", "ac-1", "app-1", "acct-1", at(days=-1), at(days=1))
    [told] = expiry.appcode_notices(code, NOW)
    assert told.detail_type == expiry.APPCODE_EXPIRING
    assert told.detail["appcode_id"] == "ac-1" and "hash" not in str(told.detail)
    grant = all_apis_grant()
    [granted] = expiry.authorization_notices(grant, NOW)
    assert granted.detail_type == expiry.AUTHORIZATION_EXPIRING
    assert (granted.detail["account_id"], granted.detail["authorization_id"]) == ("prov", "au-1")
    assert expiry.authorization_notices(grant._replace(expires_at=None), NOW) == []
    assert "access_key" not in granted.detail  # an app's grant: no key pair to name


def test_a_key_pairs_own_grant_names_the_pairs_access_key_now() -> None:
    grant = all_apis_grant()._replace(
        target="key#kp-1#all#prov", authorization_id="au-2", key_id="kp-1"
    )
    [told] = expiry.authorization_notices(grant, NOW, "PartnerKey09")
    assert told.detail["access_key"] == "PartnerKey09"


def test_a_new_access_key_for_the_same_pair_is_not_told_again() -> None:
    ends = {"expires_at": at(days=5), "previous_secret_expires_at": at(days=3)}
    stale = {"created_at": at(days=-100)}
    before = expiry.key_pair_notices(key(key_id="kp-1", **ends, **stale), NOW, 90)
    renamed = key(key_id="kp-1", access_key="ExpKey02", **ends, **stale)
    after = expiry.key_pair_notices(renamed, NOW, 90)
    assert len(before) == 3
    assert [n.marker for n in before] == [n.marker for n in after]
    assert after[0].detail["access_key"] == "ExpKey02"
