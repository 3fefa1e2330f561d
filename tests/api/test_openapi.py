"""GET /openapi.json: a valid OpenAPI 3 document of every admin route, from the request models."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.admin import Admin


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    response = client.http.get("/openapi.json")  # no Authorization header
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    return dict(json.loads(response.body))


def test_openapi_document_is_served_without_auth_and_is_valid(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_openapi_lists_every_admin_route_registered(document: dict[str, Any]) -> None:
    from app import app

    registered = {
        (path, method.lower())
        for path, methods in app.routes.items()
        if path.startswith("/v1/")
        for method in methods
    }
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert registered and documented == registered
    for path, method in documented:
        operation = document["paths"][path][method]
        assert operation["summary"], (path, method)
        assert operation["security"] == [{"bearer": []}]
        assert {"400", "401", "404"} <= set(operation["responses"])
    assert "201" in document["paths"]["/v1/apps"]["post"]["responses"]
    assert "204" in document["paths"]["/v1/apps/{app_id}"]["delete"]["responses"]
    path_params = document["paths"]["/v1/keys/{access_key}"]["get"]["parameters"]
    assert {(p["name"], p["in"]) for p in path_params} >= {
        ("access_key", "path"),
        ("reveal", "query"),
    }
    limit = next(
        p for p in document["paths"]["/v1/apps"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 200)


def test_request_schemas_come_from_the_pydantic_models(document: dict[str, Any]) -> None:
    from chalicelib.http import schemas

    components = document["components"]["schemas"]
    create_app = components["CreateApp"]
    assert create_app["required"] == ["name"]
    assert create_app["additionalProperties"] is False
    assert set(create_app["properties"]) == set(schemas.CreateApp.model_fields)
    body = document["paths"]["/v1/apps"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/CreateApp"}
    assert set(components["CreateApi"]["required"]) == {"name", "method", "path"}
    assert components["Whitelist"]["required"] == ["entries"]
    authorization = components["CreateAuthorization"]["properties"]
    assert "expires_at" in authorization and "stages" in authorization
    for name in ("UpdateApp", "UpdateKey", "CreateKey", "CopyApp", "UpdateApi", "CreateToken"):
        assert set(components[name]["properties"]) == set(getattr(schemas, name).model_fields)


def test_openapi_document_holds_no_token_or_secret(admin: Admin, document: dict[str, Any]) -> None:
    created = admin.post("/v1/apps", {"name": "shop"}).body
    text = json.dumps(admin.client.http.get("/openapi.json").body.decode())
    assert "root-token-for-tests" not in text
    assert created["keys"][0]["secret"] not in text
    assert json.loads(admin.client.http.get("/openapi.json").body) == document


def test_chalices_own_answers_are_documented_in_the_error_format(
    document: dict[str, Any],
) -> None:
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            unsupported = operation["responses"]["415"]
            assert unsupported["content"]["application/json"]["schema"] == error, (path, method)
    # A method a path does not have belongs to no operation: a shared response says it.
    not_allowed = document["components"]["responses"]["MethodNotAllowed"]
    assert not_allowed["content"]["application/json"]["schema"] == error
    assert "Allow" in not_allowed["headers"]
    assert "405" in document["info"]["description"]
