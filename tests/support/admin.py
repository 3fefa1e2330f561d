"""The admin API through chalice's test client, as one token's holder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.support.aws import fresh_moto
from tests.support.paths import ROOT

OTHER_GATEWAY = "gw-other"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class Admin:
    """Calls the admin API through chalice's test client as one token's holder."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Reply:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            headers["Content-Type"] = "application/json"
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = self.client.http.request(method, path, **kwargs)
        parsed = json.loads(response.body) if response.body else None
        return Reply(response.status_code, parsed, dict(response.headers))

    def get(self, path: str) -> Reply:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None) -> Reply:
        return self.call("POST", path, body if body is not None else {})

    def patch(self, path: str, body: Any) -> Reply:
        return self.call("PATCH", path, body)

    def put(self, path: str, body: Any) -> Reply:
        return self.call("PUT", path, body)

    def delete(self, path: str) -> Reply:
        return self.call("DELETE", path)


@contextmanager
def module_world() -> Iterator[Admin]:
    """The root admin over one moto and one test client, for module-scoped fixtures that set
    up many objects once (the function-scoped ``aws`` fixture would redo it per test)."""
    from chalice.test import Client

    from app import app
    from chalicelib.services.bootstrap import register_root
    from devtools.authorizer_shim import install

    with fresh_moto():
        token = register_root("root-token-for-tests").value
        install()
        with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
            yield Admin(client, token)
