from __future__ import annotations

from tests.support.admin import Admin


def test_create_and_get_app(admin: Admin) -> None:
    created = admin.post("/v1/apps", {"name": "shop"})
    assert created.status == 201, created.body
    app_id = created.body["app_id"]
    assert len(created.body["keys"][0]["secret"]) >= 43
    got = admin.get(f"/v1/apps/{app_id}")
    assert got.status == 200, got.body
    assert "secret" not in got.body["keys"][0]


def test_curl_style_body_without_json_content_type_is_read_as_json(admin: Admin) -> None:
    for content_type in ("application/x-www-form-urlencoded", "text/plain"):
        response = admin.client.http.post(
            "/v1/apps",
            headers={"Authorization": f"Bearer {admin.token}", "Content-Type": content_type},
            body='{"name": "from-curl"}',
        )
        assert response.status_code == 201, response.body
    garbage = admin.client.http.post(
        "/v1/apps",
        headers={
            "Authorization": f"Bearer {admin.token}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body="name=shop",
    )
    assert garbage.status_code == 400 and b'"field": "body"' in garbage.body
