"""apiauth: API authorization for AWS serverless. Thin: the app, its blueprints, authorizers."""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from chalicelib.http import accounts, apis, apps, demo, keys, openapi
from chalicelib.http.admin import admin_auth
from chalicelib.http.request_authorizer import authorize

app = Chalice(app_name="apiauth")
app.register_blueprint(admin_auth)
for blueprint in (accounts.bp, apps.bp, keys.bp, apis.bp, openapi.bp, demo.bp):
    app.register_blueprint(blueprint)
app.register_middleware(demo.check_body, "http")


@app.lambda_function(name="request_authorizer")
def request_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The REQUEST authorizer: verifies a signed or AppCode call and records it."""
    return authorize(event)
