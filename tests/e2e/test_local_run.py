"""The local run end to end: its start-up output and the admin API over real HTTP."""

from __future__ import annotations

import http.client
import re
import uuid
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support.local_server import DEMO_LINE, READY_LINE, ROOT_TOKEN, TOKEN_LINE, LocalRun

pytestmark = pytest.mark.e2e


def _name() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_start_up_output_names_url_root_token_and_demo_app(local: LocalRun) -> None:
    ready = [i for i, line in enumerate(local.output) if READY_LINE.match(line)]
    assert ready, local.output
    assert local.output[ready[0]] == f"apiauth ready: http://127.0.0.1:{local.port}"
    after = local.output[ready[0] + 1 :]
    assert any(TOKEN_LINE.match(line) for line in after), local.output
    assert any(DEMO_LINE.match(line) for line in after), local.output
    assert local.base_url == f"http://127.0.0.1:{local.port}"


def test_root_token_is_the_one_given_in_the_environment(local: LocalRun) -> None:
    assert local.token == ROOT_TOKEN
    reply = local.get("/v1/apps", token=ROOT_TOKEN)
    assert reply.status == 200, reply.body
    assert local.demo_app_id in {item["app_id"] for item in reply.body["items"]}


def test_root_creates_an_account_whose_token_works_and_is_not_root(local: LocalRun) -> None:
    created = local.ok(local.post("/v1/accounts", {"name": "e2e tenant"}), 201)
    assert set(created) >= {"account_id", "name", "token"}
    assert created["name"] == "e2e tenant"
    tenant_apps = local.ok(local.get("/v1/apps", token=created["token"]))
    assert tenant_apps["items"] == []
    refused = local.post("/v1/accounts", {"name": "nope"}, token=created["token"])
    assert refused.status == 403, refused.body
    assert set(refused.body) >= {"code", "message"}


def test_create_app_answers_201_with_the_default_secret_once(local: LocalRun) -> None:
    name = _name()
    created = local.ok(
        local.post("/v1/apps", {"name": name, "tags": {"team": "e2e"}, "extension": {"k": "v"}}),
        201,
    )
    key = created["keys"][0]
    assert created["name"] == name and created["enabled"] is True
    assert key["is_default"] is True and len(key["secret"]) >= 43
    assert created["last_used_at"] is None and created["call_count"] == 0

    got = local.ok(local.get(f"/v1/apps/{created['app_id']}"))
    assert got["app_id"] == created["app_id"]
    assert [k["access_key"] for k in got["keys"]] == [key["access_key"]]
    assert all("secret" not in k for k in got["keys"])

    key_view = local.ok(local.get(f"/v1/keys/{key['access_key']}"))
    assert "secret" not in key_view
    revealed = local.ok(local.get(f"/v1/keys/{key['access_key']}?reveal=true"))
    assert revealed["secret"] == key["secret"]


def test_list_apps_filters_by_name_and_tag(local: LocalRun) -> None:
    name = _name()
    tag = uuid.uuid4().hex[:6]
    created = local.ok(local.post("/v1/apps", {"name": name, "tags": {"e2e": tag}}), 201)
    by_name = local.ok(local.get(f"/v1/apps?name={name}"))
    assert [item["app_id"] for item in by_name["items"]] == [created["app_id"]]
    by_tag = local.ok(local.get(f"/v1/apps?tag=e2e:{tag}"))
    assert [item["app_id"] for item in by_tag["items"]] == [created["app_id"]]
    assert "next_cursor" in by_tag


def test_patch_app_renames_retags_and_disables(local: LocalRun) -> None:
    app_id = local.ok(local.post("/v1/apps", {"name": _name()}), 201)["app_id"]
    new_name = _name()
    patched = local.ok(
        local.patch(f"/v1/apps/{app_id}", {"name": new_name, "tags": {"a": "b"}, "enabled": False})
    )
    assert (patched["name"], patched["tags"], patched["enabled"]) == (new_name, {"a": "b"}, False)
    got = local.ok(local.get(f"/v1/apps/{app_id}"))
    assert (got["name"], got["enabled"]) == (new_name, False)
    assert local.delete(f"/v1/apps/{app_id}").status == 204
    assert local.get(f"/v1/apps/{app_id}").status == 404


def test_delete_of_an_enabled_app_is_a_409(local: LocalRun) -> None:
    app_id = local.ok(local.post("/v1/apps", {"name": _name()}), 201)["app_id"]
    reply = local.delete(f"/v1/apps/{app_id}")
    assert reply.status == 409, reply.body
    assert set(reply.body) >= {"code", "message"}


def test_whitelist_is_replaced_whole_and_validated(local: LocalRun) -> None:
    app_id = local.ok(local.post("/v1/apps", {"name": _name()}), 201)["app_id"]
    assert local.ok(local.get(f"/v1/apps/{app_id}/whitelist"))["entries"] == []
    entries = ["10.0.0.0/8", "192.168.1.*", "127.0.0.1"]
    local.ok(local.put(f"/v1/apps/{app_id}/whitelist", {"entries": entries}))
    assert local.ok(local.get(f"/v1/apps/{app_id}/whitelist"))["entries"] == entries
    assert local.ok(local.get(f"/v1/apps/{app_id}"))["whitelist"] == entries

    ipv6 = local.put(f"/v1/apps/{app_id}/whitelist", {"entries": ["::1"]})
    assert ipv6.status == 400, ipv6.body
    assert "IPv6" in ipv6.body["message"]
    assert local.ok(local.get(f"/v1/apps/{app_id}/whitelist"))["entries"] == entries


def test_apis_create_list_patch_and_delete(local: LocalRun) -> None:
    path = f"/e2e/{uuid.uuid4().hex[:8]}/{{id}}"
    created = local.ok(
        local.post("/v1/apis", {"name": _name(), "method": "GET", "path": path, "group": "e2e"}),
        201,
    )
    api_id = created["api_id"]
    assert (created["method"], created["path"], created["group"]) == ("GET", path, "e2e")
    listed = local.ok(local.get("/v1/apis?limit=200"))
    assert api_id in {item["api_id"] for item in listed["items"]}
    assert {"demo-hello", "demo-echo"} <= {item["name"] for item in listed["items"]}

    patched = local.ok(local.patch(f"/v1/apis/{api_id}", {"description": "changed"}))
    assert patched["description"] == "changed"
    assert local.ok(local.get(f"/v1/apis/{api_id}"))["description"] == "changed"

    duplicate = local.post("/v1/apis", {"name": _name(), "method": "GET", "path": path})
    assert duplicate.status == 409, duplicate.body

    assert local.delete(f"/v1/apis/{api_id}").status == 204
    assert local.get(f"/v1/apis/{api_id}").status == 404


def test_authorizations_create_list_and_revoke(local: LocalRun) -> None:
    app_id = local.ok(local.post("/v1/apps", {"name": _name()}), 201)["app_id"]
    api_id = local.api_id("demo-hello")
    grant = local.ok(
        local.post("/v1/authorizations", {"app_id": app_id, "api_id": api_id, "stages": ["TEST"]}),
        201,
    )
    assert (grant["app_id"], grant["api_id"], grant["stages"]) == (app_id, api_id, ["TEST"])
    listed = local.ok(local.get(f"/v1/authorizations?app_id={app_id}"))
    assert [item["authorization_id"] for item in listed["items"]] == [grant["authorization_id"]]
    assert grant["authorization_id"] in {
        a["authorization_id"] for a in local.ok(local.get(f"/v1/apps/{app_id}"))["authorizations"]
    }

    past = local.post(
        "/v1/authorizations",
        {"app_id": app_id, "group": "demo", "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert past.status == 400, past.body

    assert local.delete(f"/v1/authorizations/{grant['authorization_id']}").status == 204
    assert local.ok(local.get(f"/v1/authorizations?app_id={app_id}"))["items"] == []


def test_openapi_document_is_served_without_auth(local: LocalRun) -> None:
    reply = local.get("/openapi.json", auth=False)
    assert reply.status == 200, reply.body
    assert reply.body["openapi"].startswith("3.")
    for path in ("/v1/apps", "/v1/apps/{app_id}", "/v1/authorizations", "/v1/call-records"):
        assert path in reply.body["paths"], path


def test_chalices_own_405_and_415_are_in_the_error_format(local: LocalRun) -> None:
    not_allowed = local.call("DELETE", "/v1/apps")
    assert not_allowed.status == 405, not_allowed.body
    assert set(not_allowed.body) == {"code", "message"}
    assert not_allowed.body["code"] == "MethodNotAllowed"
    assert not_allowed.header("Allow") == "GET, POST"
    unsupported = local.call(
        "POST", "/v1/apps", raw_body=b"<app/>", headers={"Content-Type": "application/xml"}
    )
    assert unsupported.status == 415, unsupported.body
    assert set(unsupported.body) == {"code", "message"}
    assert unsupported.body["code"] == "UnsupportedMediaType"


def _get(local: LocalRun, path: str) -> tuple[int, str, str]:
    """One GET, redirects not followed: status, Location, body."""
    connection = http.client.HTTPConnection(urlsplit(local.base_url).netloc, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/console", "/console/"])
def test_the_console_loads_every_file_it_refers_to_from_either_address(
    local: LocalRun, path: str
) -> None:
    url = local.base_url + path
    status, location, page = _get(local, path)
    if status in (301, 302, 303, 307, 308):
        url = urljoin(url, location)
        status, _, page = _get(local, urlsplit(url).path)
    assert status == 200, page
    references = re.findall(r'(?:src|href)="([^"#]+)"', page)
    assert references
    for reference in references:
        asset = urlsplit(urljoin(url, reference)).path
        assert _get(local, asset)[0] == 200, (reference, asset)


def test_admin_call_with_a_bad_token_is_a_401_with_code_and_message(local: LocalRun) -> None:
    for authorization in ("Bearer not-a-token", "Basic abc", "Bearer "):
        reply = local.call("GET", "/v1/apps", auth=False, headers={"Authorization": authorization})
        assert reply.status == 401, (authorization, reply.body)
        assert set(reply.body) >= {"code", "message"}, authorization


def test_admin_call_without_authorization_header_is_a_401_with_code_and_message(
    local: LocalRun,
) -> None:
    reply = local.get("/v1/apps", auth=False)
    assert reply.status == 401, reply.body
    assert set(reply.body) >= {"code", "message"}


def test_unknown_app_is_a_404_with_code_and_message(local: LocalRun) -> None:
    reply = local.get("/v1/apps/app-doesnotexist")
    assert reply.status == 404, reply.body
    assert set(reply.body) >= {"code", "message"}


def test_another_accounts_app_is_a_404(local: LocalRun) -> None:
    tenant = local.ok(local.post("/v1/accounts", {"name": "e2e other"}), 201)
    for method, path in (
        ("GET", f"/v1/apps/{local.demo_app_id}"),
        ("GET", f"/v1/apps/{local.demo_app_id}/whitelist"),
        ("GET", f"/v1/keys/{local.demo_access_key}"),
    ):
        reply = local.call(method, path, token=tenant["token"])
        assert reply.status == 404, (path, reply.body)
        assert set(reply.body) >= {"code", "message"}


def test_invalid_input_is_a_400_naming_the_field(local: LocalRun) -> None:
    reply = local.post("/v1/apps", {"name": "x", "access_key": "short"})
    assert reply.status == 400, reply.body
    assert "access_key" in (reply.body.get("field", "") + reply.body["message"])
    assert local.post("/v1/apps", {"name": "x", "access_key": ""}).status == 400
