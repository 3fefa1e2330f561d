"""First-run setup: the root token of the account ``default`` and the demo service's APIs.

Used by the local runner and by ``python -m devtools.bootstrap`` against a deployment.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.verification import route_key
from chalicelib.services import accounts, apis, apps
from chalicelib.services.accounts import DEFAULT_ACCOUNT, Principal
from chalicelib.storage.models import RouteModel

DEMO_APIS = (("demo-hello", "GET", "/demo/hello"), ("demo-echo", "POST", "/demo/echo"))
DEMO_GROUP = "demo"


def register_root(token: str | None) -> dict[str, Any]:
    accounts.ensure_account(DEFAULT_ACCOUNT, "default")
    return accounts.register_token(DEFAULT_ACCOUNT, "root", token=token, is_root=True)


def register_demo() -> dict[str, Any]:
    """The demo APIs (group ``demo``) and a demo app authorized for them, with its key pair."""
    principal = Principal(DEFAULT_ACCOUNT, "bootstrap", True)
    for name, method, path in DEMO_APIS:
        try:
            RouteModel.get(route_key(method, path))
        except DoesNotExist:
            apis.create_api(principal, name=name, method=method, path=path, group=DEMO_GROUP)
    app, key, secret = apps.create_app(principal, name="demo", description="demo caller")
    apis.create_authorization(
        principal, app.app_id, None, DEMO_GROUP, False, stages=None, expires_at=None
    )
    return {"app_id": app.app_id, "access_key": key.access_key, "secret": secret}
