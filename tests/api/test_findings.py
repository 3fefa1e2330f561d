"""Review findings on the admin side (issues 10, 17), as found: never a 500, nothing leaked."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.support.admin import Admin


@pytest.mark.parametrize(
    "path",
    [
        "/v1/call-records?from=0001-01-01T00:00:00%2B23:59",
        "/v1/call-records?to=9999-12-31T23:59:59-23:59",
        "/v1/call-records/stats?bucket=day&to=9999-12-31T23:59:59-12:00",
        "/v1/call-records/stats?bucket=day&from=0001-01-01T00:00:00%2B00:01",
        "/v1/audit?from=0001-01-01T00:00:00%2B23:59",
    ],
)
def test_times_out_of_range_once_in_utc_are_a_400_naming_the_field(admin: Admin, path: str) -> None:
    reply = admin.get(path)
    assert reply.status == 400, reply.body
    assert reply.body["field"] in {"from", "to"}
    assert "out of range" in reply.body["message"]


def test_stats_counting_back_from_the_first_days_of_year_1_is_a_400(admin: Admin) -> None:
    reply = admin.get("/v1/call-records/stats?bucket=day&to=0001-01-02T00:00:00Z")
    assert reply.status == 400, reply.body
    assert reply.body["field"] == "to"


@pytest.mark.parametrize(
    "key", ["a.b[0]#", "a.b", "x[1]", "#k", ":colon", "with space", "ключ", "a:b:c", "$"]
)
def test_tag_filter_matches_any_key_the_create_accepts(admin: Admin, key: str) -> None:
    created = admin.post("/v1/apps", {"name": "tagged", "tags": {key: "v:1"}})
    assert created.status == 201, created.body
    admin.post("/v1/apps", {"name": "untagged", "tags": {"other": "v:1"}})

    reply = admin.get("/v1/apps?tag=" + quote(f"{key}:v:1", safe=""))
    assert reply.status == 200, reply.body
    assert [a["app_id"] for a in reply.body["items"]] == [created.body["app_id"]]
    assert admin.get("/v1/apps?tag=" + quote(f"{key}:v:2", safe="")).body["items"] == []


def test_tag_filter_as_reported(admin: Admin) -> None:
    reply = admin.get("/v1/apps?tag=a.b%5B0%5D%23:v")
    assert reply.status == 200 and reply.body["items"] == [], reply.body


@pytest.mark.parametrize("tag", ["novalue", ":v", "a" + ":" * 20])
def test_a_tag_filter_that_is_not_k_v_is_a_400_naming_tag(admin: Admin, tag: str) -> None:
    reply = admin.get("/v1/apps?tag=" + quote(tag, safe=""))
    assert reply.status == 400, reply.body
    assert reply.body["field"] == "tag"


def test_tag_filter_pages_through_non_matching_apps(admin: Admin) -> None:
    for n in range(5):
        admin.post("/v1/apps", {"name": f"plain{n}"})
    tagged = [admin.post("/v1/apps", {"name": "t", "tags": {"k": "v"}}) for _ in "ab"]
    wanted = {reply.body["app_id"] for reply in tagged}
    seen: set[str] = set()
    cursor = ""
    for _ in range(10):
        page = admin.get(f"/v1/apps?tag=k:v&limit=1{cursor}").body
        seen.update(a["app_id"] for a in page["items"])
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == wanted


def test_copy_leaves_out_other_accounts_grants_so_their_revoke_holds(
    admin: Admin, other: Admin
) -> None:
    source = admin.post("/v1/apps", {"name": "orig"}).body["app_id"]
    mine = admin.post("/v1/authorizations", {"app_id": source, "group": "demo"}).body
    theirs = other.post("/v1/authorizations", {"app_id": source, "all": True}).body

    copy = admin.post(f"/v1/apps/{source}/copy", {}).body
    assert [a["provider_account_id"] for a in copy["authorizations"]] == ["default"]
    assert copy["authorizations"][0]["authorization_id"] != mine["authorization_id"]

    assert other.delete(f"/v1/authorizations/{theirs['authorization_id']}").status == 204
    left = admin.get(f"/v1/apps/{source}").body["authorizations"]
    assert [a["authorization_id"] for a in left] == [mine["authorization_id"]]
    from chalicelib.storage.models import AuthorizationModel

    # Nothing of the other account's is left anywhere for either app.
    for app_id in (source, copy["app_id"]):
        assert {g.provider_account_id for g in AuthorizationModel.query(app_id)} == {"default"}


def test_authorizing_another_accounts_app_answers_nothing_of_it_but_its_id(
    admin: Admin, other: Admin
) -> None:
    theirs = other.post(
        "/v1/apps",
        {"name": "their-secret-name", "description": "internal", "tags": {"team": "x"}},
    ).body
    reply = admin.post("/v1/authorizations", {"app_id": theirs["app_id"], "all": True})
    assert reply.status == 201, reply.body
    text = repr(reply.body)
    for leaked in ("their-secret-name", "internal", "team", theirs["account_id"]):
        assert leaked not in text
    assert reply.body["app_id"] == theirs["app_id"]
    listed = admin.get("/v1/authorizations").body["items"]
    assert "their-secret-name" not in repr(listed) and theirs["account_id"] not in repr(listed)


def _cursor(key: dict[str, object]) -> str:
    import base64
    import json

    raw = json.dumps(key).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("app_id", ["x" * 1025, "", "\ud800"])
def test_a_forged_cursor_that_dynamodb_would_refuse_is_a_400(admin: Admin, app_id: str) -> None:
    """Found by review, not by moto: real DynamoDB refuses such start keys with an error."""
    cursor = _cursor({"account_id": {"S": "default"}, "app_id": {"S": app_id}})
    reply = admin.get(f"/v1/apps?cursor={cursor}")
    assert reply.status == 400 and reply.body["field"] == "cursor", reply.body


# Issue 17, section 3, finding 4: Chalice's own answers in the contract's error format.


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/apps", "GET, POST"),
        ("PUT", "/v1/call-records", "GET"),
        ("PUT", "/openapi.json", "GET"),
        ("POST", "/console", "GET"),
    ],
)
def test_a_method_a_path_does_not_have_is_a_405_in_the_error_format_naming_the_allowed(
    admin: Admin, method: str, path: str, allowed: str
) -> None:
    reply = admin.call(method, path)
    assert reply.status == 405, reply.body
    assert set(reply.body) == {"code", "message"}, reply.body
    assert reply.body["code"] == "MethodNotAllowed"
    assert method in reply.body["message"] and allowed in reply.body["message"]
    assert reply.headers["Allow"] == allowed
    assert reply.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/apps"), ("PATCH", "/v1/apps/app-1"), ("GET", "/v1/apps")]
)
def test_an_unsupported_content_type_is_a_415_in_the_error_format_naming_the_expected(
    admin: Admin, method: str, path: str
) -> None:
    response = admin.client.http.request(
        method,
        path,
        headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "application/xml"},
        body=b"<app/>",
    )
    assert response.status_code == 415, response.body
    body = json.loads(response.body)
    assert set(body) == {"code", "message"}, body
    assert body["code"] == "UnsupportedMediaType"
    assert "application/xml" in body["message"] and "application/json" in body["message"]
    assert response.headers["Content-Type"] == "application/json"


def test_an_unhandled_error_is_a_500_in_the_error_format() -> None:
    from chalice.app import Response

    from chalicelib.http.errors import in_error_format

    chalices_own = Response(
        body={"Code": "InternalServerError", "Message": "An internal server error occurred."},
        status_code=500,
    )
    response = in_error_format(None, lambda _: chalices_own)  # type: ignore[arg-type]
    assert response.status_code == 500
    body = json.loads(response.body)
    assert body == {"code": "InternalServerError", "message": body["message"]} and body["message"]
