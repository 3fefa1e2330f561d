"""Limits and quotas per authorization, rotation with grace, expiry: admin API and authorizer."""

from __future__ import annotations

import copy
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.admin import Admin
from tests.support.cache import container_cache
from tests.support.clock import clear_of_minute_end
from tests.support.events import (
    GATEWAY_ID,
    assert_denied,
    base_event,
    records,
    run,
    signed_event,
)


def future(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat().replace("+00:00", "Z")


def grant_of(admin: Admin, app_id: str) -> dict[str, Any]:
    [grant] = admin.get(f"/v1/authorizations?app_id={app_id}").body["items"]
    return dict(grant)


def error_code(result: dict[str, Any]) -> str:
    return str(result["context"].get("error_code", "success"))


# -- limits on authorizations ------------------------------------------------------------------


def test_limits_are_set_shown_with_their_use_changed_and_cleared(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    grant = grant_of(admin, demo["app_id"])
    assert grant["limits"] == {} and grant["usage"] == {}
    clear_of_minute_end(10)
    patched = admin.patch(
        f"/v1/authorizations/{grant['authorization_id']}",
        {"limits": {"per_minute": 10, "per_day": 1000}},
    )
    assert patched.status == 200, patched.body
    assert patched.body["limits"] == {"per_minute": 10, "per_day": 1000}
    assert patched.body["usage"]["per_minute"] == {
        "limit": 10,
        "used": 0,
        "remaining": 10,
        "resets_at": patched.body["usage"]["per_minute"]["resets_at"],
    }
    run(signed_event(demo))
    usage = grant_of(admin, demo["app_id"])["usage"]
    assert (usage["per_minute"]["used"], usage["per_minute"]["remaining"]) == (1, 9)
    assert (usage["per_day"]["used"], usage["per_day"]["remaining"]) == (1, 999)
    cleared = admin.patch(f"/v1/authorizations/{grant['authorization_id']}", {"limits": None})
    assert cleared.body["limits"] == {} and cleared.body["usage"] == {}
    staged = admin.patch(
        f"/v1/authorizations/{grant['authorization_id']}",
        {"stages": ["TEST"], "expires_at": future(days=1)},
    )
    assert staged.body["stages"] == ["TEST"] and staged.body["expires_at"]
    assert staged.body["limits"] == {}


@pytest.mark.parametrize(
    "limits",
    [
        {"per_minute": 0},
        {"per_minute": -1},
        {"per_minute": "10"},
        {"per_week": 5},
        {"per_day": 1.5},
        {"per_day": True},
        {"per_second": 10**10},
    ],
)
def test_bad_limits_are_400_naming_the_window(
    admin: Admin,
    demo: dict[str, str],
    limits: dict[str, Any],
) -> None:
    grant = grant_of(admin, demo["app_id"])
    reply = admin.patch(f"/v1/authorizations/{grant['authorization_id']}", {"limits": limits})
    assert reply.status == 400 and reply.body["field"].startswith("limits."), reply.body
    created = admin.post(
        "/v1/authorizations", {"app_id": demo["app_id"], "all": True, "limits": limits}
    )
    assert created.status == 400, created.body


def test_another_accounts_authorization_cannot_be_patched(
    admin: Admin,
    other: Admin,
    demo: dict[str, str],
) -> None:
    grant = grant_of(admin, demo["app_id"])
    reply = other.patch(
        f"/v1/authorizations/{grant['authorization_id']}", {"limits": {"per_day": 1}}
    )
    assert reply.status == 404
    assert grant_of(admin, demo["app_id"])["limits"] == {}


def set_limits(admin: Admin, app_id: str, limits: dict[str, int]) -> None:
    grant = grant_of(admin, app_id)
    reply = admin.patch(f"/v1/authorizations/{grant['authorization_id']}", {"limits": limits})
    assert reply.status == 200, reply.body


def test_the_call_over_a_minute_limit_is_throttled_with_retry_after(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    set_limits(admin, demo["app_id"], {"per_minute": 2})
    clear_of_minute_end(10)
    results = [run(signed_event(demo)) for _ in range(3)]
    assert [error_code(r) for r in results] == ["success", "success", "THROTTLED"]
    assert_denied(results[2], "THROTTLED", "Throttled by APP Flow Control")
    retry_after = int(results[2]["context"]["retry_after"])
    assert 1 <= retry_after <= 60
    [throttled] = records("THROTTLED")
    assert throttled["retry_after"] == retry_after


def test_the_call_over_a_daily_quota_is_quota_exhausted(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    set_limits(admin, demo["app_id"], {"per_minute": 100, "per_day": 1})
    clear_of_minute_end(10)
    assert error_code(run(signed_event(demo))) == "success"
    result = run(signed_event(demo))
    assert_denied(result, "QUOTA_EXHAUSTED", "Quota Exhausted")
    assert int(result["context"]["retry_after"]) <= 86400


@pytest.mark.parametrize(
    ("limits", "verdict"),
    [({"per_minute": 1}, "THROTTLED"), ({"per_day": 1}, "QUOTA_EXHAUSTED")],
)
def test_a_call_refused_by_a_limit_uses_its_nonce_and_a_denied_call_counts_nothing(
    admin: Admin,
    demo: dict[str, str],
    limits: dict[str, int],
    verdict: str,
) -> None:
    """Issue 17, review finding 6: the same bytes refused by a limit must not pass later,
    once the client has retried them with a new nonce (CONTRACT 3.3)."""
    set_limits(admin, demo["app_id"], limits)
    clear_of_minute_end(15)
    # Verified but refused later (stage): nonce used, nothing counted.
    refused = run(signed_event(demo, headers={"X-Ca-Stage": "NOPE"}))
    assert error_code(refused) == "INVALID_STAGE"
    assert error_code(run(signed_event(demo))) == "success"
    event = signed_event(demo, nonce="kept-nonce")
    assert error_code(run(copy.deepcopy(event))) == verdict
    [window] = limits
    assert grant_of(admin, demo["app_id"])["usage"][window]["used"] == 1
    # Limits changed by PATCH apply at once with a cache TTL of 0: a new nonce goes through,
    # the refused bytes never do.
    set_limits(admin, demo["app_id"], {window: 5})
    assert error_code(run(copy.deepcopy(event))) == "NONCE_USED"
    assert error_code(run(signed_event(demo))) == "success"
    assert [r["result"] for r in records()] == [
        "success",
        "NONCE_USED",
        verdict,
        "success",
        "INVALID_STAGE",
    ]


def test_a_replay_of_a_throttled_call_is_nonce_used_not_throttled(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    set_limits(admin, demo["app_id"], {"per_minute": 1})
    clear_of_minute_end(10)
    event = signed_event(demo)
    assert error_code(run(copy.deepcopy(event))) == "success"
    assert error_code(run(copy.deepcopy(event))) == "NONCE_USED"


@pytest.fixture
def three_windows(admin: Admin, demo: dict[str, str]) -> None:
    set_limits(admin, demo["app_id"], {"per_second": 1000, "per_minute": 1000, "per_day": 10**6})


def test_warm_calls_with_limits_cost_one_counter_update_and_the_record(
    demo: dict[str, str], three_windows: None, dynamodb_requests: list[str]
) -> None:
    calls = dynamodb_requests
    run(signed_event(demo))
    calls.clear()
    assert error_code(run(signed_event(demo))) == "success"
    warm = list(calls)
    # Every window in one conditional update, then the record (no transaction: it would
    # double the write units of both).
    assert warm == ["UpdateItem", "PutItem"]


def demo_limited_per_minute(calls: int) -> tuple[dict[str, str], str]:
    """On the moto server: the root, the demo app on the test gateway, its one authorization
    limited to ``calls`` a minute; the demo caller and that authorization's id."""
    from chalicelib.domain.admin import AuthorizationChanges
    from chalicelib.domain.limits import limits_from
    from chalicelib.domain.principal import Principal
    from chalicelib.services import apis
    from chalicelib.services.bootstrap import register_demo, register_root
    from chalicelib.services.gateways import bind_own_gateway
    from chalicelib.storage.models import AuthorizationModel

    register_root("root-token-for-tests")
    bind_own_gateway(GATEWAY_ID, "default", None)
    caller = register_demo(own_gateway=GATEWAY_ID)
    [grant] = AuthorizationModel.query(caller["app_id"])
    apis.update_authorization(
        Principal("default", "t", True),
        grant.authorization_id,
        AuthorizationChanges(limits=limits_from({"per_minute": calls})),
    )
    return caller, grant.authorization_id


@pytest.mark.parametrize("cache_ttl", ["0", "10"])  # 10: as `make run` and Lambda run it
def test_fifty_concurrent_calls_against_ten_a_minute_let_exactly_ten_through(
    moto_server: str, cache_ttl: str
) -> None:
    with container_cache(float(cache_ttl)):
        fifty_concurrent_calls_against_ten_a_minute(cache_ttl)


def fifty_concurrent_calls_against_ten_a_minute(cache_ttl: str) -> None:
    from chalicelib.storage import clients
    from chalicelib.storage.calls import counting
    from chalicelib.storage.models import CounterModel

    caller, grant_id = demo_limited_per_minute(10)
    clear_of_minute_end(40)
    events = [signed_event(caller) for _ in range(50)]
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(50)

    def call(event: dict[str, Any]) -> None:
        start.wait(timeout=20)
        outcome = error_code(run(event))
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=call, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(outcomes) == ["THROTTLED"] * 40 + ["success"] * 10
    [counter] = clients.dynamodb().scan(TableName=CounterModel.Meta.table_name)["Items"]
    assert counter["c_per_minute"] == {"N": "10"} and counter["counter_key"]["S"] == grant_id
    # With the cache on, the window is known full: the next calls are refused without a write.
    assert error_code(run(signed_event(caller))) == "THROTTLED"
    remembered, _ = counting._full.peek(f"{grant_id}#per_minute", time.monotonic(), 10)
    assert remembered is (cache_ttl != "0")


def test_concurrent_replays_of_a_throttled_call_are_one_throttled_and_the_rest_replays(
    moto_server: str,
) -> None:
    caller, _ = demo_limited_per_minute(1)
    clear_of_minute_end(30)
    assert error_code(run(signed_event(caller))) == "success"
    event = signed_event(caller)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def call(request_id: str) -> None:
        replay = copy.deepcopy(event)
        replay["requestContext"]["requestId"] = request_id  # API Gateway's, one per request
        start.wait(timeout=20)
        outcome = error_code(run(replay))
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=call, args=(f"replay-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(outcomes) == ["NONCE_USED"] * 7 + ["THROTTLED"]
    assert sorted(r["result"] for r in records()) == ["NONCE_USED"] * 7 + [
        "THROTTLED",
        "success",
    ]


# -- rotation with grace -------------------------------------------------------------------------


def test_both_secrets_verify_during_the_grace_and_only_the_new_one_after(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    access_key = demo["access_key"]
    reset = admin.post(f"/v1/keys/{access_key}/reset-secret", {"grace_seconds": 3600})
    assert reset.status == 200, reset.body
    new_secret = reset.body["secret"]
    assert reset.body["previous_secret_expires_at"] > future(minutes=59)
    old = run(signed_event(demo))["context"]
    new = run(signed_event({**demo, "secret": new_secret}))["context"]
    assert (old["secret"], new["secret"]) == ("previous", "current")
    assert [r["secret"] for r in records("success")] == ["current", "previous"]
    ended = admin.post(f"/v1/keys/{access_key}/end-grace")
    assert ended.status == 200 and ended.body["previous_secret_expires_at"] is None
    assert_denied(run(signed_event(demo)), "INVALID_SIGNATURE")
    assert run(signed_event({**demo, "secret": new_secret}))["context"]["secret"] == "current"


def test_a_reset_without_grace_stops_the_old_secret_at_once(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    reset = admin.post(f"/v1/keys/{demo['access_key']}/reset-secret", {})
    assert reset.status == 200 and reset.body["previous_secret_expires_at"] is None
    assert_denied(run(signed_event(demo)), "INVALID_SIGNATURE")


def test_the_previous_secret_is_sealed_and_expires_by_ttl(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    from chalicelib.storage.models import PreviousSecretModel

    admin.post(f"/v1/keys/{demo['access_key']}/reset-secret", {"grace_seconds": 60})
    stored = PreviousSecretModel.get(PreviousSecretModel.key_of(demo["access_key"]))
    assert demo["secret"].encode() not in stored.secret_sealed
    assert stored.purge_at <= datetime.now(UTC) + timedelta(seconds=61)
    admin.post(f"/v1/keys/{demo['access_key']}/reset-secret", {"grace_seconds": 0})
    with pytest.raises(PreviousSecretModel.DoesNotExist):
        PreviousSecretModel.get(PreviousSecretModel.key_of(demo["access_key"]))


@pytest.mark.parametrize("grace", [-1, 604801, "60", 1.5, None])
def test_bad_grace_is_400(admin: Admin, demo: dict[str, str], grace: Any) -> None:
    reply = admin.post(f"/v1/keys/{demo['access_key']}/reset-secret", {"grace_seconds": grace})
    assert reply.status == 400 and reply.body["field"] == "grace_seconds", reply.body


def test_grace_of_another_accounts_key_is_404(
    other: Admin,
    demo: dict[str, str],
) -> None:
    assert (
        other.post(f"/v1/keys/{demo['access_key']}/reset-secret", {"grace_seconds": 60}).status
        == 404
    )
    assert other.post(f"/v1/keys/{demo['access_key']}/end-grace").status == 404


# -- expiry --------------------------------------------------------------------------------------


def test_an_expired_key_pair_is_refused_and_its_expiry_can_be_cleared(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    from chalicelib.storage.models import KeyModel

    access_key = demo["access_key"]
    dated = admin.patch(f"/v1/keys/{access_key}", {"expires_at": future(days=30)})
    assert dated.status == 200 and dated.body["expires_at"] > future(days=29)
    assert run(signed_event(demo))["context"]["app_id"]
    KeyModel(access_key).update(actions=[KeyModel.expires_at.set("2020-01-01T00:00:00.000Z")])
    assert_denied(run(signed_event(demo)), "KEY_EXPIRED", "Unauthorized")
    cleared = admin.patch(f"/v1/keys/{access_key}", {"expires_at": None})
    assert cleared.status == 200 and cleared.body["expires_at"] is None
    assert run(signed_event(demo))["context"]["app_id"]


def test_new_key_pairs_and_appcodes_take_an_expiry_and_lists_show_it(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    until = future(days=7)
    key = admin.post(f"/v1/apps/{demo['app_id']}/keys", {"expires_at": until})
    assert key.status == 201 and key.body["expires_at"][:16] == until[:16]
    code = admin.post(f"/v1/apps/{demo['app_id']}/appcodes", {"expires_at": until})
    assert (
        code.status == 201 and code.body["expires_at"][:16] == until[:16] and code.body["appcode"]
    )
    app = admin.get(f"/v1/apps/{demo['app_id']}").body
    assert [k["expires_at"] is not None for k in app["keys"]].count(True) == 1
    assert app["appcodes"][0]["expires_at"][:16] == until[:16]


@pytest.mark.parametrize("when", ["2020-01-01T00:00:00Z", "yesterday", 5])
def test_a_past_or_bad_expiry_is_400(
    admin: Admin,
    demo: dict[str, str],
    when: Any,
) -> None:
    for method, path in (
        ("POST", f"/v1/apps/{demo['app_id']}/keys"),
        ("PATCH", f"/v1/keys/{demo['access_key']}"),
        ("POST", f"/v1/apps/{demo['app_id']}/appcodes"),
    ):
        reply = admin.call(method, path, {"expires_at": when})
        assert reply.status == 400 and reply.body["field"] == "expires_at", (path, reply.body)


def test_an_expired_appcode_is_refused(admin: Admin, demo: dict[str, str]) -> None:
    from chalicelib.storage.models import AppCodeModel

    code = admin.post(f"/v1/apps/{demo['app_id']}/appcodes", {}).body
    event = base_event()
    event["headers"]["Authorization"] = f"APPCODE {code['appcode']}"
    assert run(copy.deepcopy(event))["context"]["auth_method"] == "appcode"
    [item] = AppCodeModel.by_id.query(code["appcode_id"])
    item.update(actions=[AppCodeModel.expires_at.set("2020-01-01T00:00:00.000Z")])
    assert_denied(run(event), "KEY_EXPIRED", "Unauthorized")


def test_a_new_authorization_shows_its_windows_unused(
    admin: Admin,
    demo: dict[str, str],
) -> None:
    created = admin.post(
        "/v1/authorizations", {"app_id": demo["app_id"], "all": True, "limits": {"per_day": 5}}
    )
    assert created.status == 201, created.body
    assert created.body["usage"]["per_day"]["used"] == 0
    assert created.body["usage"]["per_day"]["remaining"] == 5
    [event] = admin.get("/v1/audit?action=authorization.create").body["items"][:1]
    assert event["changes"]["limits"] == {"per_day": 5} and "usage" not in event["changes"]


def test_a_copied_app_keeps_its_grants_limits_counted_apart(
    admin: Admin, demo: dict[str, str]
) -> None:
    grant = grant_of(admin, demo["app_id"])
    admin.patch(f"/v1/authorizations/{grant['authorization_id']}", {"limits": {"per_day": 1}})
    run(signed_event(demo))  # the source's only call today
    copied = admin.post(f"/v1/apps/{demo['app_id']}/copy", {"name": "copy"})
    assert copied.status == 201, copied.body
    copy_grant = grant_of(admin, copied.body["app_id"])
    assert copy_grant["limits"] == {"per_day": 1}
    assert copy_grant["usage"]["per_day"]["used"] == 0
    [key] = copied.body["keys"]
    caller = {"access_key": key["access_key"], "secret": key["secret"], "app_id": ""}
    assert error_code(run(signed_event(caller))) == "success"
    assert_denied(run(signed_event(caller)), "QUOTA_EXHAUSTED")
