"""Another account's objects answer 404 (never 403) on every route with an id, and stay put.

One moto world per module: every request here must leave it unchanged, and each test checks
exactly that by comparing a snapshot of every table before and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.admin import Admin, module_world


@dataclass
class World:
    owner: Admin
    intruder: Admin
    ids: dict[str, str]


def snapshot() -> list[str]:
    from chalicelib.storage.models import ALL_MODELS

    rows = []
    for model in ALL_MODELS:
        for item in model.scan():
            row = json.dumps(item.serialize(), sort_keys=True, default=repr)
            rows.append(f"{model.__name__} {row}")
    return sorted(rows)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with module_world() as owner:
        intruder = Admin(
            owner.client, owner.post("/v1/accounts", {"name": "intruder"}).body["token"]
        )
        app_body = owner.post("/v1/apps", {"name": "victim", "tags": {"t": "v"}}).body
        app_id = app_body["app_id"]
        owner.put(f"/v1/apps/{app_id}/whitelist", {"entries": ["10.0.0.0/8"]})
        spare = owner.post(f"/v1/apps/{app_id}/keys", {"name": "spare"}).body["access_key"]
        owner.patch(f"/v1/keys/{spare}", {"enabled": False})
        retired = owner.post("/v1/apps", {"name": "retired"}).body["app_id"]
        owner.patch(f"/v1/apps/{retired}", {"enabled": False})
        api_id = owner.post(
            "/v1/apis", {"name": "orders", "method": "GET", "path": "/orders/{id}"}
        ).body["api_id"]
        grant = owner.post("/v1/authorizations", {"app_id": app_id, "api_id": api_id}).body
        ids = {
            "app_id": app_id,
            "retired_app_id": retired,
            "access_key": app_body["keys"][0]["access_key"],
            "spare_key": spare,
            "appcode_id": owner.post(f"/v1/apps/{app_id}/appcodes").body["appcode_id"],
            "api_id": api_id,
            "authorization_id": grant["authorization_id"],
            "token_id": owner.post("/v1/tokens", {"name": "ci"}).body["token_id"],
            "intruder_app_id": intruder.post("/v1/apps", {"name": "mine"}).body["app_id"],
        }
        yield World(owner, intruder, ids)


# (method, path, body): every admin route with an id in its path, with a body that would
# succeed for the owner, so only tenancy stands between the intruder and a change.
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/v1/apps/{app_id}", None),
    ("PATCH", "/v1/apps/{app_id}", {"name": "hijacked", "enabled": False}),
    ("DELETE", "/v1/apps/{retired_app_id}", None),
    ("POST", "/v1/apps/{app_id}/copy", {"name": "stolen"}),
    ("POST", "/v1/apps/{app_id}/keys", {"name": "backdoor"}),
    ("POST", "/v1/apps/{app_id}/appcodes", {}),
    ("GET", "/v1/apps/{app_id}/whitelist", None),
    ("PUT", "/v1/apps/{app_id}/whitelist", {"entries": []}),
    ("GET", "/v1/keys/{access_key}", None),
    ("GET", "/v1/keys/{access_key}?reveal=true", None),
    ("PATCH", "/v1/keys/{access_key}", {"name": "x", "enabled": False}),
    ("PATCH", "/v1/keys/{access_key}", {"access_key": "Stolen123"}),
    ("POST", "/v1/keys/{access_key}/reset-secret", {}),
    ("DELETE", "/v1/keys/{spare_key}", None),
    ("DELETE", "/v1/appcodes/{appcode_id}", None),
    ("GET", "/v1/apis/{api_id}", None),
    ("PATCH", "/v1/apis/{api_id}", {"path": "/hijacked"}),
    ("DELETE", "/v1/apis/{api_id}", None),
    ("DELETE", "/v1/authorizations/{authorization_id}", None),
    ("DELETE", "/v1/tokens/{token_id}", None),
    # Ids in the body: granting on another account's API.
    ("POST", "/v1/authorizations", {"app_id": "{intruder_app_id}", "api_id": "{api_id}"}),
]


def fill(template: Any, ids: dict[str, str]) -> Any:
    """The body with ``"{name}"`` string values replaced by the world's ids."""
    if isinstance(template, dict):
        return {key: fill(value, ids) for key, value in template.items()}
    if isinstance(template, str) and template.startswith("{"):
        return template.format(**ids)
    return template


@pytest.mark.parametrize(
    ("method", "path", "body"), ROUTES, ids=[f"{m} {p} {b}" for m, p, b in ROUTES]
)
def test_another_accounts_object_is_404_and_unchanged(
    world: World, method: str, path: str, body: Any
) -> None:
    url = path.format(**world.ids)
    before = snapshot()
    reply = world.intruder.call(method, url, fill(body, world.ids))
    assert reply.status == 404, reply.body
    assert reply.body["code"] == "NotFound" and reply.body["message"]
    assert snapshot() == before
    # The owner still reaches the object the same way (the 404 is about the caller).
    if method == "GET":
        assert world.owner.call(method, url).status == 200


def test_intruder_listings_do_not_show_the_owners_objects(world: World) -> None:
    intruder = world.intruder
    app_ids = [a["app_id"] for a in intruder.get("/v1/apps").body["items"]]
    assert app_ids == [world.ids["intruder_app_id"]]
    assert intruder.get("/v1/apis").body["items"] == []
    assert intruder.get("/v1/authorizations").body["items"] == []
    by_app = intruder.get(f"/v1/authorizations?app_id={world.ids['app_id']}")
    assert by_app.status == 200 and by_app.body["items"] == []
    tokens = intruder.get("/v1/tokens").body["items"]
    assert world.ids["token_id"] not in {t["token_id"] for t in tokens}
