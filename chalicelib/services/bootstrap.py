"""First-run setup: the root token of the account ``default``, its own gateway, the demo APIs.

Used by the local runner, the tests and the deployment's bootstrap step (docs/deployment.md).
"""

from __future__ import annotations

from chalicelib.domain.admin import IssuedToken, NewApi, NewApp, NewAuthorization
from chalicelib.domain.principal import Principal
from chalicelib.services import accounts, apis, apps, gateways
from chalicelib.services.accounts import DEFAULT_ACCOUNT
from chalicelib.storage.apis import route_exists

DEMO_APIS = (("demo-hello", "GET", "/demo/hello"), ("demo-echo", "POST", "/demo/echo"))
DEMO_GROUP = "demo"


def register_root(
    token: str | None,
    own_gateway: str = gateways.LOCAL_GATEWAY,
    base_url: str | None = None,
    gateway_type: str = "rest",
) -> IssuedToken:
    """The account ``default``, its root token, and this deployment's own gateway bound to it.

    ``own_gateway`` is the deployment's REST API id (the stack's ``RestAPIId``); the local run's
    is ``local``. ``base_url`` gives its APIs their ``call_url``; ``gateway_type`` "http" makes the
    local run's gateway an HTTP API (``APIAUTH_LOCAL_GATEWAY=http``).
    """
    accounts.ensure_account(DEFAULT_ACCOUNT, "default")
    gateways.bind_own_gateway(own_gateway, DEFAULT_ACCOUNT, base_url, gateway_type)
    return accounts.register_token(DEFAULT_ACCOUNT, "root", token=token, is_root=True)


def register_demo(own_gateway: str = gateways.LOCAL_GATEWAY) -> dict[str, str]:
    """The demo APIs (group ``demo``) and a demo app authorized for them, with its key pair."""
    principal = Principal(DEFAULT_ACCOUNT, "bootstrap", True)
    for name, method, path in DEMO_APIS:
        if not route_exists(own_gateway, method, path):
            apis.create_api(principal, NewApi(name, method, path, own_gateway, DEMO_GROUP))
    app, key, secret = apps.create_app(principal, NewApp("demo", description="demo caller"))
    apis.create_authorization(principal, NewAuthorization(app.app_id, group=DEMO_GROUP))
    return {"app_id": app.app_id, "access_key": key.access_key, "secret": secret}
