from __future__ import annotations

from tests.api.conftest import Admin


def test_create_and_get_app(admin: Admin) -> None:
    created = admin.post("/v1/apps", {"name": "shop"})
    assert created.status == 201, created.body
    app_id = created.body["app_id"]
    assert len(created.body["keys"][0]["secret"]) >= 43
    got = admin.get(f"/v1/apps/{app_id}")
    assert got.status == 200, got.body
    assert "secret" not in got.body["keys"][0]
