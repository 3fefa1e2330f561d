"""Issue 21: a custom AppSecret (on a new app, a new key pair, by PATCH) and a custom,
changeable AppCode (CONTRACT.md 2): the rules, the audit trail without values, and the
authorizer verifying the new values and refusing the old ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.admin import Admin
from tests.support.events import assert_denied, base_event, run, signed_event

CUSTOM = "my-own-secret_0123456789abcdefghij"  # 34 characters
OTHER_CUSTOM = "another_Secret-9876543210zyxwvutsrq"
CODE = "partner-appcode-0123456789_abcdefgh"
NEW_CODE = "partner-appcode-changed-0123456789_x"


def allowed(result: dict[str, Any]) -> bool:
    return bool(result["policyDocument"]["Statement"][0]["Effect"] == "Allow")


def appcode_call(code: str) -> dict[str, Any]:
    event = base_event()
    event["headers"]["Authorization"] = f"APPCODE {code}"
    return run(event)


def audit_text(admin: Admin) -> str:
    return json.dumps(admin.get("/v1/audit?limit=200").body)


@pytest.mark.parametrize(
    "secret",
    [
        "short-secret",
        "x" * 31,
        "y" * 65,
        "a" * 32,
        "0123456" * 5,
        "has a space in it 0123456789abcdef",
        "non-ascii-é-0123456789abcdefghijklm",
        "",
    ],
)
def test_a_weak_or_malformed_custom_secret_is_a_400_naming_the_field(
    admin: Admin, demo: dict[str, str], secret: str
) -> None:
    for path, body in (
        ("/v1/apps", {"name": "a", "secret": secret}),
        (f"/v1/apps/{demo['app_id']}/keys", {"secret": secret}),
    ):
        reply = admin.post(path, body)
        assert reply.status == 400 and "secret" in reply.body["message"], reply.body
        assert not secret or secret not in reply.body["message"]
    reply = admin.patch(f"/v1/keys/{demo['access_key']}", {"secret": secret})
    assert reply.status == 400 and "secret" in reply.body["message"], reply.body


def test_a_custom_secret_verifies_on_a_new_app_a_new_pair_and_by_patch(
    admin: Admin, demo: dict[str, str]
) -> None:
    created = admin.post(f"/v1/apps/{demo['app_id']}/keys", {"secret": CUSTOM})
    assert created.status == 201 and created.body["secret"] == CUSTOM, created.body
    pair = {"access_key": created.body["access_key"], "secret": CUSTOM}
    assert allowed(run(signed_event({**demo, **pair})))

    patched = admin.patch(f"/v1/keys/{pair['access_key']}", {"secret": OTHER_CUSTOM})
    assert patched.status == 200 and "secret" not in patched.body, patched.body
    assert allowed(
        run(signed_event({**demo, "access_key": pair["access_key"]}, secret=OTHER_CUSTOM))
    )
    assert_denied(run(signed_event({**demo, **pair})), "INVALID_SIGNATURE")
    revealed = admin.get(f"/v1/keys/{pair['access_key']}?reveal=true").body["secret"]
    assert revealed == OTHER_CUSTOM

    app = admin.post("/v1/apps", {"name": "own-secret", "secret": CUSTOM})
    assert app.status == 201 and app.body["keys"][0]["secret"] == CUSTOM, app.body
    # Audited like a reset, never with the value.
    events = admin.get(f"/v1/audit?object_id={pair['access_key']}").body["items"]
    assert "key.reset_secret" in [e["action"] for e in events]
    assert CUSTOM not in audit_text(admin) and OTHER_CUSTOM not in audit_text(admin)


def test_a_new_access_key_with_a_custom_secret_takes_that_secret(
    admin: Admin, demo: dict[str, str]
) -> None:
    reply = admin.patch(
        f"/v1/keys/{demo['access_key']}", {"access_key": "OwnChosen01", "secret": CUSTOM}
    )
    assert reply.status == 200 and "secret" not in reply.body, reply.body
    assert allowed(run(signed_event({**demo, "access_key": "OwnChosen01"}, secret=CUSTOM)))


def test_a_custom_appcode_verifies_and_a_changed_one_replaces_it(
    admin: Admin, demo: dict[str, str]
) -> None:
    created = admin.post(f"/v1/apps/{demo['app_id']}/appcodes", {"appcode": CODE})
    assert created.status == 201 and created.body["appcode"] == CODE, created.body
    appcode_id = created.body["appcode_id"]
    assert allowed(appcode_call(CODE))

    changed = admin.patch(f"/v1/appcodes/{appcode_id}", {"appcode": NEW_CODE})
    assert changed.status == 200 and "appcode" not in changed.body, changed.body
    assert changed.body["appcode_id"] == appcode_id
    assert allowed(appcode_call(NEW_CODE))
    assert_denied(appcode_call(CODE), "INVALID_APPCODE")
    # The old code is free again; the end date changes alone, and clears.
    dated = admin.patch(f"/v1/appcodes/{appcode_id}", {"expires_at": "2099-01-01T00:00:00Z"})
    assert dated.body["expires_at"] == "2099-01-01T00:00:00.000Z", dated.body
    assert (
        admin.patch(f"/v1/appcodes/{appcode_id}", {"expires_at": None}).body["expires_at"] is None
    )
    assert allowed(appcode_call(NEW_CODE))
    [code] = admin.get(f"/v1/apps/{demo['app_id']}").body["appcodes"]
    assert code["appcode_id"] == appcode_id
    assert CODE not in audit_text(admin) and NEW_CODE not in audit_text(admin)
    assert "appcode.update" in audit_text(admin)


def test_an_appcode_taken_by_anyone_is_a_409_that_does_not_say_by_whom(
    admin: Admin, other: Admin, demo: dict[str, str]
) -> None:
    their_app = other.post("/v1/apps", {"name": "theirs"}).body
    theirs, their_account = their_app["app_id"], their_app["account_id"]
    assert other.post(f"/v1/apps/{theirs}/appcodes", {"appcode": CODE}).status == 201
    taken = admin.post(f"/v1/apps/{demo['app_id']}/appcodes", {"appcode": CODE})
    assert taken.status == 409 and taken.body["code"] == "Conflict", taken.body
    assert theirs not in json.dumps(taken.body) and their_account not in json.dumps(taken.body)
    mine = admin.post(f"/v1/apps/{demo['app_id']}/appcodes").body["appcode_id"]
    moved = admin.patch(f"/v1/appcodes/{mine}", {"appcode": CODE})
    assert moved.status == 409 and their_account not in json.dumps(moved.body), moved.body
    # Another account's AppCode: 404.
    assert admin.patch(f"/v1/appcodes/{mine}x", {"appcode": NEW_CODE}).status == 404
    short = admin.patch(f"/v1/appcodes/{mine}", {"appcode": "short"})
    assert short.status == 400 and "appcode" in short.body["message"], short.body
    weak = admin.patch(f"/v1/appcodes/{mine}", {"appcode": "ab" * 20})
    assert weak.status == 400 and "different characters" in weak.body["message"], weak.body
