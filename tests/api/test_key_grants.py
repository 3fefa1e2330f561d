"""Issue 21: grants that belong to one key pair (``access_key`` instead of ``app_id``), the key
pair's own whitelist, and its identity through a change of access key.

The verdicts themselves are the unit matrix's (``tests/unit/test_verification.py``); here what
only the API shows: the admin answers, tenancy, and the authorizer reading the key pair's
grants and whitelist from real items in the batches it already makes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.admin import Admin
from tests.support.clock import clear_of_minute_end
from tests.support.events import assert_denied, run, signed_event


@pytest.fixture
def caller(other: Admin) -> dict[str, Any]:
    """Another account's app with two key pairs: ``first`` (the default) and ``second``."""
    created = other.post("/v1/apps", {"name": "partner", "access_key": "PartnerKey01"})
    assert created.status == 201, created.body
    second = other.post(
        f"/v1/apps/{created.body['app_id']}/keys", {"access_key": "PartnerKey02", "name": "ci"}
    )
    assert second.status == 201, second.body
    return {
        "app_id": created.body["app_id"],
        "first": {"access_key": "PartnerKey01", "secret": created.body["keys"][0]["secret"]},
        "second": {"access_key": "PartnerKey02", "secret": second.body["secret"]},
    }


def call(demo: dict[str, str], pair: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    return run(signed_event({**demo, **pair}, **kwargs))


def allowed(result: dict[str, Any]) -> bool:
    return bool(result["policyDocument"]["Statement"][0]["Effect"] == "Allow")


def grant_key(admin: Admin, access_key: str, **target: Any) -> dict[str, Any]:
    reply = admin.post(
        "/v1/authorizations", {"access_key": access_key, **(target or {"group": "demo"})}
    )
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


def test_a_key_pairs_grant_lets_that_pair_through_and_no_other(
    admin: Admin, other: Admin, demo: dict[str, str], caller: dict[str, Any]
) -> None:
    assert_denied(call(demo, caller["first"]), "NOT_AUTHORIZED")
    grant = grant_key(admin, "PartnerKey01")
    # The provider sees the key and its app's id, nothing else of another account's app.
    assert grant["access_key"] == "PartnerKey01" and grant["app_id"] == caller["app_id"]
    assert grant["group"] == "demo" and "name" not in json.dumps(grant)

    assert allowed(call(demo, caller["first"]))
    assert_denied(call(demo, caller["second"]), "NOT_AUTHORIZED")
    # Its limits count under the authorization, as on any grant.
    limited = admin.patch(
        f"/v1/authorizations/{grant['authorization_id']}", {"limits": {"per_day": 1}}
    )
    assert limited.status == 200, limited.body
    clear_of_minute_end(5)  # a day's end would reset the quota between the two calls
    assert allowed(call(demo, caller["first"]))
    assert_denied(call(demo, caller["first"]), "QUOTA_EXHAUSTED")
    # The app's owner sees it on the app, beside the key pair it covers.
    on_app = other.get(f"/v1/apps/{caller['app_id']}").body["authorizations"]
    assert [(g["authorization_id"], g["access_key"]) for g in on_app] == [
        (grant["authorization_id"], "PartnerKey01")
    ]


def test_an_app_grant_and_a_key_grant_of_the_same_group_are_two_targets(
    admin: Admin, demo: dict[str, str], caller: dict[str, Any]
) -> None:
    by_key = grant_key(admin, "PartnerKey01")
    again = admin.post("/v1/authorizations", {"access_key": "PartnerKey01", "group": "demo"})
    assert again.status == 409 and "key pair" in again.body["message"], again.body
    by_app = admin.post("/v1/authorizations", {"app_id": caller["app_id"], "group": "demo"})
    assert by_app.status == 201 and by_app.body["access_key"] is None, by_app.body
    assert allowed(call(demo, caller["second"]))
    listed = admin.get("/v1/authorizations?access_key=PartnerKey01").body["items"]
    assert [g["authorization_id"] for g in listed] == [by_key["authorization_id"]]
    assert admin.get("/v1/authorizations?access_key=NobodysKey1").body["items"] == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"access_key": "NobodysKey1", "group": "demo"}, 404, None),
        ({"access_key": "bad key!", "group": "demo"}, 400, "access_key"),
        ({"access_key": "PartnerKey01", "app_id": "app-x", "group": "demo"}, 400, "app_id"),
        ({"group": "demo"}, 400, "app_id"),
    ],
)
def test_unknown_malformed_or_ambiguous_grantees_are_refused(
    admin: Admin, caller: dict[str, Any], body: dict[str, Any], status: int, field: str | None
) -> None:
    reply = admin.post("/v1/authorizations", body)
    assert reply.status == status, reply.body
    if field:
        assert field in reply.body["message"]
    # A 404 says nothing of which account holds (or does not hold) a key.
    assert caller["app_id"] not in json.dumps(reply.body)


def test_the_grant_and_whitelist_follow_the_pair_through_a_new_access_key_and_end_with_it(
    admin: Admin, other: Admin, demo: dict[str, str], caller: dict[str, Any]
) -> None:
    grant = grant_key(admin, "PartnerKey02")
    put = other.put("/v1/keys/PartnerKey02/whitelist", {"entries": ["198.51.100.0/24"]})
    assert put.status == 200 and put.body["entries"] == ["198.51.100.0/24"], put.body
    key_id = other.get("/v1/keys/PartnerKey02").body["key_id"]

    changed = other.patch("/v1/keys/PartnerKey02", {"access_key": "PartnerKey03"})
    assert changed.status == 200, changed.body
    assert changed.body["key_id"] == key_id
    assert changed.body["whitelist"] == ["198.51.100.0/24"]
    new_pair = {"access_key": "PartnerKey03", "secret": changed.body["secret"]}
    assert allowed(call(demo, new_pair))
    assert_denied(call(demo, caller["second"]), "INVALID_KEY")
    # The provider sees the pair's access key now.
    [seen] = admin.get("/v1/authorizations?access_key=PartnerKey03").body["items"]
    assert seen["authorization_id"] == grant["authorization_id"]
    assert seen["access_key"] == "PartnerKey03"

    assert other.patch("/v1/keys/PartnerKey03", {"enabled": False}).status == 200
    assert other.delete("/v1/keys/PartnerKey03").status == 204
    assert admin.get(f"/v1/authorizations?app_id={caller['app_id']}").body["items"] == []


def test_a_key_pair_delete_interrupted_leaves_the_pair_with_its_grants_and_finishes_again(
    admin: Admin, other: Admin, caller: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.storage import apis

    grant = grant_key(admin, "PartnerKey02")
    assert other.patch("/v1/keys/PartnerKey02", {"enabled": False}).status == 200
    real = apis.delete_authorization

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the process stopped here")

    monkeypatch.setattr(apis, "delete_authorization", interrupted)
    assert other.delete("/v1/keys/PartnerKey02").status == 500
    # Nothing half-done: the (disabled) pair is still there, its grant still names it.
    assert other.get("/v1/keys/PartnerKey02").status == 200
    [kept] = admin.get("/v1/authorizations?access_key=PartnerKey02").body["items"]
    assert kept["authorization_id"] == grant["authorization_id"]

    monkeypatch.setattr(apis, "delete_authorization", real)
    assert other.delete("/v1/keys/PartnerKey02").status == 204
    assert other.get("/v1/keys/PartnerKey02").status == 404
    assert admin.get(f"/v1/authorizations?app_id={caller['app_id']}").body["items"] == []


def test_a_key_pairs_whitelist_refuses_what_the_apps_allows(
    admin: Admin, other: Admin, demo: dict[str, str], caller: dict[str, Any]
) -> None:
    admin.post("/v1/authorizations", {"app_id": caller["app_id"], "group": "demo"})
    app_whitelist = other.put(
        f"/v1/apps/{caller['app_id']}/whitelist", {"entries": ["198.51.100.0/24"]}
    )
    assert app_whitelist.status == 200
    assert other.get("/v1/keys/PartnerKey01/whitelist").body == {
        "access_key": "PartnerKey01",
        "app_id": caller["app_id"],
        "entries": [],
    }
    assert other.put("/v1/keys/PartnerKey01/whitelist", {"entries": ["10.0.0.0/8"]}).status == 200
    assert_denied(call(demo, caller["first"]), "IP_NOT_ALLOWED")  # the event's IP: 198.51.100.1
    assert allowed(call(demo, caller["second"]))  # the app's other pair: the app's list only
    bad = other.put("/v1/keys/PartnerKey01/whitelist", {"entries": ["::1"]})
    assert bad.status == 400 and "entries[0]" in bad.body["message"], bad.body
    # Another account's key pair: 404, and its list stays.
    assert admin.put("/v1/keys/PartnerKey01/whitelist", {"entries": []}).status == 404
    assert admin.get("/v1/keys/PartnerKey01/whitelist").status == 404
    assert other.get("/v1/keys/PartnerKey01").body["whitelist"] == ["10.0.0.0/8"]
    [event] = other.get("/v1/audit?action=key.whitelist_replace").body["items"]
    assert event["changes"]["entries"] == ["10.0.0.0/8"]


def test_a_copy_of_the_app_does_not_carry_a_key_pairs_grant(
    admin: Admin, caller: dict[str, Any]
) -> None:
    grant_key(admin, "PartnerKey01")
    mine = admin.post("/v1/apps", {"name": "own", "access_key": "OwnKey0001"}).body["app_id"]
    grant_key(admin, "OwnKey0001")
    copied = admin.post(f"/v1/apps/{mine}/copy", {})
    assert copied.status == 201 and copied.body["authorizations"] == [], copied.body


@pytest.fixture
def granted_with_whitelist(admin: Admin, other: Admin, caller: dict[str, Any]) -> None:
    grant_key(admin, "PartnerKey01")
    other.put("/v1/keys/PartnerKey01/whitelist", {"entries": ["198.51.100.0/24"]})


def test_a_call_under_a_key_pairs_grant_costs_what_any_allowed_call_costs(
    demo: dict[str, str],
    caller: dict[str, Any],
    granted_with_whitelist: None,
    dynamodb_requests: list[str],
) -> None:
    """The pair's whitelist and grants come in the batches the authorizer already makes."""
    calls = dynamodb_requests
    assert allowed(call(demo, caller["first"]))
    cold = list(calls)
    calls.clear()
    assert allowed(call(demo, caller["first"]))
    warm = list(calls)
    assert cold == ["BatchGetItem", "BatchGetItem", "PutItem"]
    assert warm == ["PutItem"]
