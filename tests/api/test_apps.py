"""/v1/apps: create, list, get, patch, delete and copy."""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.support.admin import Admin

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def key_count(account_id: str) -> int:
    from chalicelib.storage.models import AccountModel

    return int(AccountModel.get(account_id).key_count or 0)


def test_create_app_returns_its_default_key_pair_with_a_random_secret(admin: Admin) -> None:
    created = admin.post(
        "/v1/apps",
        {
            "name": "shop",
            "description": "the web shop",
            "tags": {"env": "prod"},
            "extension": {"tier": "gold"},
        },
    )
    assert created.status == 201, created.body
    app = created.body
    assert app["app_id"] and app["account_id"] == "default" and app["enabled"] is True
    assert (app["name"], app["description"]) == ("shop", "the web shop")
    assert app["tags"] == {"env": "prod"} and app["extension"] == {"tier": "gold"}
    assert app["whitelist"] == []
    assert app["last_used_at"] is None and app["call_count"] == 0
    assert TIME.match(app["created_at"]) and TIME.match(app["updated_at"])
    [key] = app["keys"]
    assert key["is_default"] is True and key["enabled"] is True
    assert key["access_key"] == app["default_access_key"]
    assert re.fullmatch(r"[A-Za-z0-9]{8,32}", key["access_key"])
    assert len(key["secret"]) >= 43
    assert len(base64.urlsafe_b64decode(key["secret"] + "=" * (-len(key["secret"]) % 4))) >= 32
    second = admin.post("/v1/apps", {"name": "shop"}).body["keys"][0]
    assert second["secret"] != key["secret"] and second["access_key"] != key["access_key"]


@pytest.mark.parametrize("access_key", ["abcd1234", "A" * 32, "MixedCase99"])
def test_custom_access_key_is_used(admin: Admin, access_key: str) -> None:
    created = admin.post("/v1/apps", {"name": "custom", "access_key": access_key})
    assert created.status == 201, created.body
    assert created.body["keys"][0]["access_key"] == access_key
    assert admin.get(f"/v1/keys/{access_key}").status == 200


@pytest.mark.parametrize(
    "access_key", ["abc1234", "A" * 33, "", "abc-defgh", "abcdefg h", "ключключключ", 12345678]
)
def test_invalid_access_key_is_400_naming_the_field(admin: Admin, access_key: object) -> None:
    reply = admin.post("/v1/apps", {"name": "bad", "access_key": access_key})
    assert reply.status == 400, reply.body
    assert reply.body["code"] == "ValidationError" and "access_key" in reply.body["message"]
    assert admin.get("/v1/apps").body["items"] == []


def test_duplicate_access_key_across_accounts_is_409_and_creates_nothing(
    admin: Admin, other: Admin
) -> None:
    assert admin.post("/v1/apps", {"name": "a", "access_key": "Shared001"}).status == 201
    reply = other.post("/v1/apps", {"name": "b", "access_key": "Shared001"})
    assert reply.status == 409, reply.body
    assert reply.body["code"] == "Conflict" and "Shared001" in reply.body["message"]
    assert other.get("/v1/apps").body["items"] == []
    other_account = other.get("/v1/tokens").body["items"][0]["account_id"]
    assert key_count(other_account) == 0
    assert admin.get("/v1/keys/Shared001").body["app_id"] != ""


def test_list_apps_cursor_walks_every_page(admin: Admin) -> None:
    made = {admin.post("/v1/apps", {"name": f"app{i}"}).body["app_id"] for i in range(5)}
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        url = "/v1/apps?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = admin.get(url)
        assert page.status == 200, page.body
        assert len(page.body["items"]) <= 2
        seen += [a["app_id"] for a in page.body["items"]]
        pages += 1
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert pages == 3
    assert len(seen) == 5 and set(seen) == made


def test_list_apps_default_limit_is_50_and_accepts_up_to_200(admin: Admin) -> None:
    from chalicelib.storage.models import AppModel

    for index in range(51):
        AppModel(
            f"app-bulk{index:03d}",
            account_id="default",
            name=f"bulk{index}",
            default_access_key=f"bulk{index:05d}",
            created_at="2026-01-01T00:00:00.000Z",
            updated_at="2026-01-01T00:00:00.000Z",
        ).save()
    first = admin.get("/v1/apps")
    assert len(first.body["items"]) == 50 and first.body["next_cursor"]
    rest = admin.get(f"/v1/apps?cursor={first.body['next_cursor']}")
    assert len(rest.body["items"]) == 1 and rest.body["next_cursor"] is None
    everything = admin.get("/v1/apps?limit=200")
    assert len(everything.body["items"]) == 51 and everything.body["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", "1.5", ""])
def test_limit_outside_1_to_200_is_400(admin: Admin, limit: str) -> None:
    for path in ("/v1/apps", "/v1/apis", "/v1/tokens", "/v1/authorizations"):
        reply = admin.get(f"{path}?limit={limit}")
        assert reply.status == 400, (path, reply.body)
        assert reply.body["code"] == "ValidationError" and "limit" in reply.body["message"]


def _cursor(key: object) -> str:
    raw = json.dumps(key).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        _cursor([]),
        _cursor({"account_id": {"S": "default"}}),
        _cursor({"account_id": {"N": "1"}, "app_id": {"S": "app-1"}}),
        _cursor({"account_id": {"S": "acc-elsewhere"}, "app_id": {"S": "app-1"}}),
        _cursor({"account_id": {"S": "default"}, "app_id": {"S": "x"}, "extra": {"S": "y"}}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_forged_cursor_is_400(admin: Admin, cursor: str) -> None:
    reply = admin.get(f"/v1/apps?cursor={cursor}")
    assert reply.status == 400, reply.body
    assert reply.body["code"] == "ValidationError" and "cursor" in reply.body["message"]


def test_cursor_from_another_accounts_listing_is_400(admin: Admin, other: Admin) -> None:
    for index in range(2):
        other.post("/v1/apps", {"name": f"theirs{index}"})
        admin.post("/v1/apps", {"name": f"mine{index}"})
    theirs = other.get("/v1/apps?limit=1").body["next_cursor"]
    assert theirs
    reply = admin.get(f"/v1/apps?limit=1&cursor={theirs}")
    assert reply.status == 400 and "cursor" in reply.body["message"]
    mine = admin.get("/v1/apps?limit=1").body["next_cursor"]
    assert admin.get(f"/v1/apps?limit=1&cursor={mine}").status == 200


def test_list_apps_filters_by_name_and_tag(admin: Admin) -> None:
    def names(query: str) -> set[str]:
        reply = admin.get(f"/v1/apps?{query}")
        assert reply.status == 200, reply.body
        return {a["name"] for a in reply.body["items"]}

    admin.post("/v1/apps", {"name": "shop-web", "tags": {"env": "prod", "team": "a"}})
    admin.post("/v1/apps", {"name": "shop-mobile", "tags": {"env": "test"}})
    admin.post("/v1/apps", {"name": "billing", "tags": {"env": "prod"}})
    assert names("name=shop") == {"shop-web", "shop-mobile"}
    assert names("tag=env:prod") == {"shop-web", "billing"}
    assert names("name=shop&tag=env:prod") == {"shop-web"}
    assert names("tag=team:b") == set()
    assert names("name=nothing") == set()
    # Filters combine with pagination: every match is reachable one per page.
    first = admin.get("/v1/apps?tag=env:prod&limit=1").body
    second = admin.get(f"/v1/apps?tag=env:prod&limit=1&cursor={first['next_cursor']}").body
    assert {first["items"][0]["name"], second["items"][0]["name"]} == {"shop-web", "billing"}
    bad = admin.get("/v1/apps?tag=nocolon")
    assert bad.status == 400 and "tag" in bad.body["message"]


def test_get_app_shows_keys_without_secrets_whitelist_and_authorizations(admin: Admin) -> None:
    created = admin.post("/v1/apps", {"name": "shop"}).body
    app_id = created["app_id"]
    extra = admin.post(f"/v1/apps/{app_id}/keys", {"name": "second"}).body
    admin.put(f"/v1/apps/{app_id}/whitelist", {"entries": ["10.0.0.0/8"]})
    grant = admin.post("/v1/authorizations", {"app_id": app_id, "all": True}).body
    got = admin.get(f"/v1/apps/{app_id}")
    assert got.status == 200, got.body
    assert {k["access_key"] for k in got.body["keys"]} == {
        created["keys"][0]["access_key"],
        extra["access_key"],
    }
    assert all("secret" not in k for k in got.body["keys"])
    text = json.dumps(got.body)
    assert created["keys"][0]["secret"] not in text and extra["secret"] not in text
    assert got.body["whitelist"] == ["10.0.0.0/8"]
    assert [a["authorization_id"] for a in got.body["authorizations"]] == [
        grant["authorization_id"]
    ]
    missing = admin.get("/v1/apps/app-doesnotexist")
    assert missing.status == 404 and missing.body["code"] == "NotFound"


def test_patch_app_changes_each_field(admin: Admin) -> None:
    app = admin.post("/v1/apps", {"name": "old", "tags": {"a": "1"}}).body
    url = f"/v1/apps/{app['app_id']}"
    changes = {
        "name": "new",
        "description": "described",
        "tags": {"b": "2", "c": ""},
        "extension": {"plan": "pro"},
        "enabled": False,
    }
    patched = admin.patch(url, changes)
    assert patched.status == 200, patched.body
    got = admin.get(url).body
    for field, value in changes.items():
        assert patched.body[field] == value and got[field] == value
    assert got["updated_at"] >= app["updated_at"]
    assert admin.patch(url, {"enabled": True}).body["enabled"] is True
    # Fields not sent stay as they are.
    assert admin.patch(url, {}).body["name"] == "new"
    assert admin.get(url).body["tags"] == {"b": "2", "c": ""}


def test_tags_and_extension_limits(admin: Admin) -> None:
    app_id = admin.post("/v1/apps", {"name": "x"}).body["app_id"]
    url = f"/v1/apps/{app_id}"
    twenty = {f"k{i}": "v" for i in range(20)}
    assert admin.patch(url, {"tags": twenty}).status == 200
    assert admin.post("/v1/apps", {"name": "y", "tags": twenty}).status == 201
    many = {f"k{i}": "v" for i in range(21)}
    for reply in (
        admin.patch(url, {"tags": many}),
        admin.post("/v1/apps", {"name": "y", "tags": many}),
    ):
        assert reply.status == 400 and "tags" in reply.body["message"], reply.body
    big = {"blob": "x" * 2100}
    for reply in (
        admin.patch(url, {"extension": big}),
        admin.post("/v1/apps", {"name": "y", "extension": big}),
        admin.patch(url, {"extension": {f"k{i}": "x" * 100 for i in range(20)}}),
    ):
        assert reply.status == 400 and "extension" in reply.body["message"], reply.body
    fits = {"blob": "x" * 2000}
    assert admin.patch(url, {"extension": fits}).body["extension"] == fits
    assert admin.get(url).body["tags"] == twenty


@pytest.mark.parametrize("value", [1, 1.5, True, None, ["a"], {"nested": "x"}])
@pytest.mark.parametrize("field", ["tags", "extension"])
def test_tag_and_extension_values_must_be_strings(admin: Admin, field: str, value: object) -> None:
    reply = admin.post("/v1/apps", {"name": "x", field: {"k": value}})
    assert reply.status == 400, reply.body
    assert field in reply.body["message"]


def test_delete_enabled_app_is_refused(admin: Admin) -> None:
    app_id = admin.post("/v1/apps", {"name": "live"}).body["app_id"]
    reply = admin.delete(f"/v1/apps/{app_id}")
    assert reply.status == 409, reply.body
    assert reply.body["code"] == "Conflict" and "disable" in reply.body["message"]
    assert admin.get(f"/v1/apps/{app_id}").status == 200


def test_delete_disabled_app_removes_it_with_its_keys_codes_and_grants(admin: Admin) -> None:
    before = key_count("default")
    app = admin.post("/v1/apps", {"name": "old"}).body
    app_id = app["app_id"]
    extra = admin.post(f"/v1/apps/{app_id}/keys", {}).body["access_key"]
    code = admin.post(f"/v1/apps/{app_id}/appcodes").body["appcode_id"]
    grant = admin.post("/v1/authorizations", {"app_id": app_id, "all": True}).body
    rotated = admin.post(f"/v1/keys/{extra}/reset-secret", {"grace_seconds": 3600})
    assert rotated.status == 200, rotated.body
    assert key_count("default") == before + 2
    assert admin.patch(f"/v1/apps/{app_id}", {"enabled": False}).status == 200
    reply = admin.delete(f"/v1/apps/{app_id}")
    assert reply.status == 204 and reply.body is None
    assert admin.get(f"/v1/apps/{app_id}").status == 404
    assert admin.get(f"/v1/keys/{app['keys'][0]['access_key']}").status == 404
    assert admin.get(f"/v1/keys/{extra}").status == 404
    assert admin.delete(f"/v1/appcodes/{code}").status == 404
    assert admin.delete(f"/v1/authorizations/{grant['authorization_id']}").status == 404
    assert key_count("default") == before
    assert admin.delete(f"/v1/apps/{app_id}").status == 404
    # Nor is the rotated key's previous (sealed) secret left for TTL to find.
    from chalicelib.storage.models import KeyModel

    assert [k.access_key for k in KeyModel.scan() if k.access_key.startswith(extra)] == []


def test_copy_keeps_whitelist_tags_extension_and_own_grants_with_new_keys(
    admin: Admin, other: Admin
) -> None:
    source = admin.post(
        "/v1/apps", {"name": "orig", "tags": {"env": "prod"}, "extension": {"tier": "gold"}}
    ).body
    source_id = source["app_id"]
    admin.put(f"/v1/apps/{source_id}/whitelist", {"entries": ["10.0.0.0/8", "192.168.1.*"]})
    admin.post("/v1/authorizations", {"app_id": source_id, "all": True, "stages": ["TEST"]})
    other.post("/v1/authorizations", {"app_id": source_id, "group": "partners"})

    copied = admin.post(f"/v1/apps/{source_id}/copy", {})
    assert copied.status == 201, copied.body
    copy = copied.body
    assert copy["app_id"] != source_id and copy["name"] == "orig (copy)"
    assert copy["tags"] == {"env": "prod"} and copy["extension"] == {"tier": "gold"}
    assert copy["whitelist"] == ["10.0.0.0/8", "192.168.1.*"]
    [key] = copy["keys"]
    assert key["access_key"] != source["keys"][0]["access_key"]
    assert key["secret"] != source["keys"][0]["secret"] and len(key["secret"]) >= 43

    def targets(app: dict[str, object]) -> set[tuple[object, ...]]:
        return {
            (a["provider_account_id"], a["api_id"], a["group"], a["all"], tuple(a["stages"]))
            for a in app["authorizations"]  # type: ignore[attr-defined]
        }

    # Only the caller's own grant: another account's grant is its decision about one app.
    assert targets(copy) == {("default", None, None, True, ("TEST",))}
    assert len(targets(admin.get(f"/v1/apps/{source_id}").body)) == 2
    granted_by_other = other.get("/v1/authorizations").body["items"]
    assert [g["app_id"] for g in granted_by_other] == [source_id]
    assert "secret" not in admin.get(f"/v1/apps/{copy['app_id']}").body["keys"][0]
    named = admin.post(f"/v1/apps/{source_id}/copy", {"name": "twin"})
    assert named.status == 201 and named.body["name"] == "twin"
    assert admin.post("/v1/apps/app-nope/copy", {}).status == 404


def test_copy_of_an_app_with_more_own_grants_than_a_transaction_holds_is_a_409(
    admin: Admin,
) -> None:
    app_id = admin.post("/v1/apps", {"name": "wide"}).body["app_id"]
    for n in range(97):
        api = admin.post("/v1/apis", {"name": f"a{n}", "method": "GET", "path": f"/w/{n}"}).body
        granted = admin.post("/v1/authorizations", {"app_id": app_id, "api_id": api["api_id"]})
        assert granted.status == 201, granted.body
    before = admin.get("/v1/apps?limit=200").body["items"]
    copied = admin.post(f"/v1/apps/{app_id}/copy", {})
    assert copied.status == 409 and "at most 96" in copied.body["message"], copied.body
    assert admin.get("/v1/apps?limit=200").body["items"] == before  # nothing half-written
