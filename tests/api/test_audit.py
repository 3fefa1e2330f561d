"""GET /v1/audit: every admin write and every secret reveal, per account, newest first."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.admin import Admin

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def events(admin: Admin, query: str = "") -> list[dict[str, Any]]:
    reply = admin.get(f"/v1/audit?limit=200{query}")
    assert reply.status == 200, reply.body
    return list(reply.body["items"])


def test_every_admin_write_and_reveal_is_an_event_without_secret_values(
    admin: Admin, other: Admin
) -> None:
    secrets: list[str] = []
    token = admin.post("/v1/tokens", {"name": "ci"}).body
    secrets.append(token["token"])
    app = admin.post("/v1/apps", {"name": "shop", "tags": {"env": "prod"}}).body
    app_id, default_key = app["app_id"], app["keys"][0]["access_key"]
    secrets.append(app["keys"][0]["secret"])
    admin.patch(f"/v1/apps/{app_id}", {"name": "shop2"})
    admin.put(f"/v1/apps/{app_id}/whitelist", {"entries": ["10.0.0.0/8"]})
    key = admin.post(f"/v1/apps/{app_id}/keys", {"access_key": "AuditKey01"}).body
    secrets.append(key["secret"])
    secrets.append(admin.get("/v1/keys/AuditKey01?reveal=true").body["secret"])
    secrets.append(admin.post("/v1/keys/AuditKey01/reset-secret").body["secret"])
    secrets.append(admin.patch("/v1/keys/AuditKey01", {"access_key": "AuditKey02"}).body["secret"])
    admin.patch("/v1/keys/AuditKey02", {"enabled": False})
    admin.delete("/v1/keys/AuditKey02")
    code = admin.post(f"/v1/apps/{app_id}/appcodes").body
    secrets.append(code["appcode"])
    admin.delete(f"/v1/appcodes/{code['appcode_id']}")
    api = admin.post("/v1/apis", {"name": "a", "method": "GET", "path": "/audit"}).body
    admin.patch(f"/v1/apis/{api['api_id']}", {"name": "b"})
    grant = admin.post("/v1/authorizations", {"app_id": app_id, "api_id": api["api_id"]}).body
    copy = admin.post(f"/v1/apps/{app_id}/copy", {}).body
    secrets.append(copy["keys"][0]["secret"])
    admin.delete(f"/v1/authorizations/{grant['authorization_id']}")
    admin.delete(f"/v1/apis/{api['api_id']}")
    admin.patch(f"/v1/apps/{app_id}", {"enabled": False})
    admin.patch(f"/v1/apps/{app_id}", {"enabled": True})
    admin.patch(f"/v1/apps/{app_id}", {"enabled": False})
    admin.delete(f"/v1/apps/{app_id}")
    admin.delete(f"/v1/tokens/{token['token_id']}")
    account = admin.post("/v1/accounts", {"name": "third"}).body
    secrets.append(account["token"])

    listed = events(admin)
    expected = [
        ("token.create", token["token_id"]),
        ("app.create", app_id),
        ("app.update", app_id),
        ("whitelist.replace", app_id),
        ("key.create", "AuditKey01"),
        ("key.reveal", "AuditKey01"),
        ("key.reset_secret", "AuditKey01"),
        ("key.change_access_key", "AuditKey01"),
        ("key.disable", "AuditKey02"),
        ("key.delete", "AuditKey02"),
        ("appcode.create", code["appcode_id"]),
        ("appcode.delete", code["appcode_id"]),
        ("api.create", api["api_id"]),
        ("api.update", api["api_id"]),
        ("authorization.create", grant["authorization_id"]),
        ("app.copy", copy["app_id"]),
        ("authorization.delete", grant["authorization_id"]),
        ("api.delete", api["api_id"]),
        ("app.disable", app_id),
        ("app.enable", app_id),
        ("app.disable", app_id),
        ("app.delete", app_id),
        ("token.delete", token["token_id"]),
        ("account.create", account["account_id"]),
    ]
    # Newest first; the other account's setup (its creation) is the root's oldest event.
    assert [(e["action"], e["object_id"]) for e in listed][: len(expected)] == expected[::-1]
    for event in listed:
        assert event["account_id"] == "default" and TIME.match(event["time"])
        assert event["object_type"] == event["action"].split(".")[0]
        assert event["token_id"].startswith("tok-")
    text = json.dumps(listed)
    assert not [s for s in secrets if s in text]
    assert "root-token-for-tests" not in text
    by_action = {e["action"]: e for e in listed}
    assert by_action["app.update"]["changes"] == {"name": "shop2"}
    assert by_action["whitelist.replace"]["changes"] == {"entries": ["10.0.0.0/8"]}
    assert by_action["key.change_access_key"]["changes"]["access_key"] == "AuditKey02"
    assert by_action["app.create"]["changes"]["tags"] == {"env": "prod"}
    assert by_action["app.create"]["changes"]["access_key"] == default_key
    assert by_action["app.copy"]["changes"]["source_app_id"] == app_id

    # The other account made no change: it sees nothing of the root account's.
    assert events(other) == []


def test_filters_by_action_object_token_and_time_and_pages(admin: Admin, other: Admin) -> None:
    ci = admin.post("/v1/tokens", {"name": "ci"}).body
    as_ci = Admin(admin.client, ci["token"])
    first = as_ci.post("/v1/apps", {"name": "one"}).body["app_id"]
    second = admin.post("/v1/apps", {"name": "two"}).body["app_id"]
    as_ci.patch(f"/v1/apps/{first}", {"name": "uno"})
    other.post("/v1/apps", {"name": "theirs"})

    assert [e["object_id"] for e in events(admin, "&action=app.create")] == [second, first]
    assert [e["action"] for e in events(admin, f"&object_id={first}")] == [
        "app.update",
        "app.create",
    ]
    by_ci = events(admin, f"&token_id={ci['token_id']}")
    assert [e["action"] for e in by_ci] == ["app.update", "app.create"]
    both = events(admin, f"&token_id={ci['token_id']}&action=app.create")
    assert [e["object_id"] for e in both] == [first]
    # Another account's token id filters to nothing, never to that account's events.
    their_token = other.get("/v1/tokens").body["items"][0]["token_id"]
    assert events(admin, f"&token_id={their_token}") == []

    everything = events(admin)
    newest = everything[0]["time"]
    assert [e["time"] for e in events(admin, f"&from={newest}")] == [
        e["time"] for e in everything if e["time"] >= newest
    ]
    assert events(admin, f"&to={newest}") == everything  # the whole millisecond shown
    assert events(admin, "&to=2000-01-01T00:00:00Z") == []

    seen: list[str] = []
    cursor = ""
    for _ in range(20):
        page = admin.get(f"/v1/audit?limit=2{cursor}").body
        assert len(page["items"]) <= 2
        seen += [e["event_id"] for e in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [e["event_id"] for e in everything]
    assert page["retention_days"] == 365

    # A cursor from one account's listing is refused in another's.
    foreign = admin.get("/v1/audit?limit=1").body["next_cursor"]
    reply = other.get(f"/v1/audit?cursor={foreign}")
    assert reply.status == 400 and reply.body["field"] == "cursor"


def test_audit_query_errors_name_the_field(admin: Admin) -> None:
    for query, field in [
        ("limit=0", "limit"),
        ("from=yesterday", "from"),
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
        ("cursor=nope", "cursor"),
        ("colour=red", "colour"),
    ]:
        reply = admin.get(f"/v1/audit?{query}")
        assert reply.status == 400, (query, reply.body)
        assert reply.body["field"] == field, (query, reply.body)


def test_audit_needs_a_token(admin: Admin) -> None:
    assert admin.call("GET", "/v1/audit", token="not-a-token").status == 401


@pytest.mark.parametrize(("configured", "days"), [(None, 365), ("30", 30)])
def test_events_expire_after_the_configured_retention(
    aws: None, monkeypatch: pytest.MonkeyPatch, configured: str | None, days: int
) -> None:
    from chalicelib.config import settings
    from chalicelib.domain.principal import Principal
    from chalicelib.services.audit import audit_event

    monkeypatch.delenv("APIAUTH_AUDIT_RETENTION_DAYS", raising=False)
    if configured is not None:
        monkeypatch.setenv("APIAUTH_AUDIT_RETENTION_DAYS", configured)
    settings.cache_clear()
    try:
        event = audit_event(Principal("acc-x", "tok-x", False), "app.create", "app-x")
        expected = datetime.now(UTC) + timedelta(days=days)
        assert abs((event.expires_at - expected).total_seconds()) < 60
    finally:
        monkeypatch.undo()
        settings.cache_clear()
        # Cached again now, outside any test-client call (during one, the stage's variables
        # from .chalice/config.json, another table prefix among them, would be read).
        settings()


def test_the_listing_shows_the_retention(admin: Admin) -> None:
    reply = admin.get("/v1/audit")
    assert reply.status == 200 and reply.body["retention_days"] == 365, reply.body
