"""GET /openapi.json: generated from the registered admin routes and their models."""

from __future__ import annotations

import functools
import re
from types import ModuleType
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.http.admin import OPERATIONS, Operation
from chalicelib.http.errors import json_response

bp = Blueprint(__name__)

_ERROR = {"$ref": "#/components/schemas/Error"}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": "string"},
    },
}
_STATUS_TEXT = {
    400: "Invalid input; the message names each field",
    401: "No or bad admin token",
    403: "Forbidden",
    404: "Absent, or another account's",
    409: "State conflict or duplicate",
    415: "A Content-Type the API does not read; send application/json (UnsupportedMediaType)",
    503: "Storage unavailable after retries; retry shortly",
}
_INFO = {
    "title": "apiauth admin API",
    "version": "1.0.0",
    "description": "Console endpoints of apiauth. Every call carries "
    "Authorization: Bearer <admin token>. Every error has the body of the Error schema; "
    "a method that a path does not have is answered 405 MethodNotAllowed with an Allow "
    "header (components.responses.MethodNotAllowed).",
}
_METHOD_NOT_ALLOWED = {
    "description": "The path has no such method (MethodNotAllowed); the message "
    "and the Allow header name the methods it has",
    "headers": {
        "Allow": {
            "description": "The path's methods, e.g. GET, POST",
            "schema": {"type": "string"},
        }
    },
    "content": {"application/json": {"schema": _ERROR}},
}


class _Components:
    """The document's schemas: each model once, referred to by name."""

    def __init__(self, models: ModuleType) -> None:
        self.models = models
        self.schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}

    def ref(self, name: str, mode: Any = "validation") -> dict[str, str]:
        if name not in self.schemas:
            self.schemas[name] = getattr(self.models, name).model_json_schema(
                by_alias=True, ref_template="#/components/schemas/{model}", mode=mode
            )
            for nested_name, nested in self.schemas[name].pop("$defs", {}).items():
                self.schemas.setdefault(nested_name, nested)
        return {"$ref": f"#/components/schemas/{name}"}


def _parameters(op: Operation, models: ModuleType) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    if op.query is not None:
        query_schema = getattr(models, op.query).model_json_schema(by_alias=True)
        for name, prop in query_schema.get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": False, "schema": prop})
    return parameters


def _responses(op: Operation, components: _Components) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success"}
    if op.status != 204:
        schema = {"schema": components.ref(op.response, "serialization")} if op.response else {}
        success["content"] = {"application/json": schema}
    errors = {
        str(code): {"description": text, "content": {"application/json": {"schema": _ERROR}}}
        for code, text in _STATUS_TEXT.items()
    }
    return {str(op.status): success, **errors}


def _operation(op: Operation, components: _Components) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag] if op.tag else [],
        "operationId": f"{op.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', op.path.lower())}",
        "security": [{"bearer": []}],
        "parameters": _parameters(op, components.models),
        "responses": _responses(op, components),
    }
    if op.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": components.ref(op.body)}},
        }
    return operation


@functools.cache
def document() -> dict[str, Any]:
    from chalicelib.http import schemas  # pydantic: only when the document is asked for

    components = _Components(schemas)
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, components)
    return {
        "openapi": "3.1.0",  # pydantic emits JSON Schema 2020-12, which 3.1 uses
        "info": _INFO,
        "paths": paths,
        "components": {
            "responses": {"MethodNotAllowed": _METHOD_NOT_ALLOWED},
            "schemas": components.schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    return json_response(document())
