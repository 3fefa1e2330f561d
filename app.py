"""apiauth: API authorization for AWS serverless. Thin: the app, its blueprints, authorizers."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, Rate

from chalicelib.http import (
    accounts,
    apis,
    apps,
    audit,
    call_records,
    console,
    demo,
    gateways,
    keys,
    openapi,
)
from chalicelib.http.admin import admin_auth
from chalicelib.http.body_check import check_body
from chalicelib.http.errors import in_error_format
from chalicelib.http.request_authorizer import authorize

app = Chalice(app_name="apiauth")
app.register_blueprint(admin_auth)
for blueprint in (
    accounts.bp,
    apps.bp,
    keys.bp,
    gateways.bp,
    apis.bp,
    call_records.bp,
    audit.bp,
    openapi.bp,
    demo.bp,
):
    app.register_blueprint(blueprint)
app.register_blueprint(console.bp)  # /console: static files, no authorizer
app.register_middleware(check_body, "http")
app.register_middleware(in_error_format, "http")  # Chalice's own 405, 415, 500


@app.lambda_function(name="request_authorizer")
def request_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The REQUEST authorizer: verifies a signed or AppCode call and records it."""
    return authorize(event)


@app.lambda_function(name="record_aggregator")
def record_aggregator(event: dict[str, Any], context: Any) -> None:
    """Fed by the call-records table's stream: keeps usage counts and last_used_at."""
    from chalicelib.services.usage import aggregate

    aggregate(event.get("Records", []))


@app.schedule(Rate(1, unit=Rate.HOURS), name="expiry_notifier")
def expiry_notifier(event: Any, context: Any) -> None:
    """Hourly: EventBridge events for what expires within 14 days (1 day) and unused keys."""
    from chalicelib.services.expiry_notifier import notify

    notify()
