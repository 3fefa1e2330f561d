"""The dev shim runs the REQUEST authorizer for chalice.test.Client and the local HTTP server.

Everything runs against a throwaway app built here (not app.py) whose fake authorizer follows
the handler contract: allow when ``x-test: allow``, deny NONCE_USED otherwise, raise
``Exception("Unauthorized")`` when ``x-test`` is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.app import AuthRequest, AuthResponse, Chalice
from chalice.cli.factory import CLIFactory
from chalice.deploy.swagger import CFNSwaggerGenerator
from chalice.local import LocalDevServer, LocalGatewayAuthorizer, create_local_server
from chalice.test import Client
from chalice.utils import to_cfn_resource_name

from chalicelib.http import gateway_authorizer
from chalicelib.http.gateway_authorizer import RequestAuthorizer, cfn_logical_id
from devtools import authorizer_shim

ALLOW_CONTEXT = {
    "app_id": "a1",
    "access_key": "key12345",
    "auth_method": "signature",
    "account_id": "acc-1",
    "provider_account_id": "acc-2",
    "api_id": "api-1",
    "stage": "RELEASE",
    "extension": "{}",
    "request_id": "req-allow",
}


class FakeApp:
    """A tiny chalice app plus the events its fake authorizer received."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        app = Chalice(app_name="shimtest")
        self.app = app
        authorizer = RequestAuthorizer("request_authorizer")

        @app.lambda_function(name="request_authorizer")
        def request_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
            self.events.append(event)
            self.contexts.append(context)
            flavour = event["headers"].get("x-test")
            if flavour is None:
                # The Lambda-authorizer convention for a 401: a bare Exception("Unauthorized").
                raise Exception("Unauthorized")  # noqa: TRY002
            if flavour == "boom":
                raise RuntimeError("bug in the authorizer")
            allow = flavour == "allow"
            if allow:
                context_out = dict(ALLOW_CONTEXT)
            else:
                context_out = {
                    "status": "403",
                    "error_code": "NONCE_USED",
                    "error_message": "Nonce Used",
                    "request_id": "req-deny",
                    "server_time": "1700000000000",
                    # The ACCESS_DENIED gateway response's body, as our authorizer makes it.
                    "error_body": '{"code": "NONCE_USED", "message": "Nonce Used"}',
                }
            return {
                "principalId": "a1" if allow else "anonymous",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Action": "execute-api:Invoke",
                            "Effect": "Allow" if allow else "Deny",
                            "Resource": event["methodArn"],
                        }
                    ],
                },
                "context": context_out,
            }

        @app.route("/demo/hello", authorizer=authorizer)
        def hello() -> dict[str, Any]:
            request = app.current_request
            assert request is not None
            return {
                "authorizer": request.context.get("authorizer"),
                "request_id": request.context.get("requestId"),
            }

        @app.route("/orders/{order_id}", methods=["POST"], authorizer=authorizer)
        def order(order_id: str) -> dict[str, Any]:
            return {"order_id": order_id}

        @app.route("/open")
        def open_route() -> dict[str, str]:
            return {"open": "yes"}


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(
        json.dumps(
            {
                "version": "2.0",
                "app_name": "shimtest",
                "stages": {"dev": {"api_gateway_stage": "api"}},
            }
        )
    )
    return tmp_path


@pytest.fixture
def shim() -> Iterator[None]:
    # install() is process-wide and idempotent; it stays installed for later tests (the
    # real app's api tests want it too). Only the "without the shim" test takes it away.
    authorizer_shim.install()
    yield


@pytest.fixture
def fake() -> FakeApp:
    return FakeApp()


@pytest.fixture
def client(fake: FakeApp, project_dir: Path, shim: None) -> Iterator[Client]:
    with Client(fake.app, project_dir=str(project_dir)) as c:
        yield c


# --- chalice.test.Client --------------------------------------------------------------------


def test_allow_passes_context_to_route(client: Client, fake: FakeApp) -> None:
    response = client.http.get("/demo/hello", headers={"X-Test": "allow"})
    assert response.status_code == 200, response.body
    body = response.json_body
    assert body["authorizer"] == {**ALLOW_CONTEXT, "principalId": "a1"}
    # The route and its authorizer share one API Gateway request id.
    assert body["request_id"] == fake.events[0]["requestContext"]["requestId"]
    assert len(fake.events) == 1


def test_deny_short_circuits_with_gateway_response(client: Client, fake: FakeApp) -> None:
    response = client.http.get("/demo/hello", headers={"X-Test": "deny"})
    assert response.status_code == 403
    assert response.headers["X-Ca-Error-Code"] == "NONCE_USED"
    assert response.headers["X-Ca-Error-Message"] == "Nonce Used"
    assert response.headers["X-Ca-Request-Id"] == "req-deny"
    assert response.headers["X-Ca-Server-Time"] == "1700000000000"
    assert response.headers["Content-Type"] == "application/json"
    assert response.json_body == {"code": "NONCE_USED", "message": "Nonce Used"}


def test_no_credentials_is_401(client: Client, fake: FakeApp) -> None:
    response = client.http.get("/demo/hello")
    assert response.status_code == 401
    assert response.headers["X-Ca-Error-Code"] == "MISSING_CREDENTIALS"
    assert response.headers["X-Ca-Error-Message"] == "Empty Signature"
    assert response.headers["X-Ca-Request-Id"]
    assert response.json_body == {"code": "MISSING_CREDENTIALS", "message": "Empty Signature"}
    assert len(fake.events) == 1  # the authorizer decided, not the shim


def test_authorizer_crash_is_500(client: Client) -> None:
    response = client.http.get("/demo/hello", headers={"X-Test": "boom"})
    assert response.status_code == 500
    assert response.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


def test_unprotected_route_skips_authorizer(client: Client, fake: FakeApp) -> None:
    response = client.http.get("/open")
    assert response.status_code == 200
    assert response.json_body == {"open": "yes"}
    assert fake.events == []


def test_request_event_shape(
    client: Client, fake: FakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APIAUTH_LOCAL_STAGE", "test")
    response = client.http.post(
        "/orders/a%20b?tag=x%2Fy&tag=second&name=J%C3%BCrgen&empty=",
        headers={"X-Test": "allow", "Content-Type": "application/json"},
        body=b'{"secret": "body"}',
    )
    assert response.status_code == 200, response.body
    (event,) = fake.events
    assert event["type"] == "REQUEST"
    assert event["methodArn"].startswith("arn:aws:execute-api:")
    assert event["methodArn"].endswith(":123456789012:local/test/POST/orders/a%20b")
    assert event["resource"] == "/orders/{order_id}"
    assert event["path"] == "/orders/a b"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["x-test"] == "allow"
    assert event["headers"]["content-type"] == "application/json"
    assert event["multiValueHeaders"]["x-test"] == ["allow"]
    assert event["multiValueQueryStringParameters"] == {
        "tag": ["x/y", "second"],
        "name": ["Jürgen"],
        "empty": [""],
    }
    assert event["queryStringParameters"] == {"tag": "second", "name": "Jürgen", "empty": ""}
    assert event["pathParameters"] == {"order_id": "a b"}
    assert event["stageVariables"] is None
    ctx = event["requestContext"]
    assert ctx["resourcePath"] == "/orders/{order_id}"
    assert ctx["httpMethod"] == "POST"
    assert ctx["stage"] == "test"
    assert ctx["accountId"] == "123456789012"
    assert ctx["apiId"] == "local"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert len(ctx["requestId"]) == 36
    # API Gateway never hands the body to an authorizer.
    assert "body" not in event
    assert "isBase64Encoded" not in event
    assert "secret" not in json.dumps(event)
    # The authorizer runs as its own Lambda function.
    assert fake.contexts[0].function_name.endswith("-request_authorizer")


def test_request_event_without_query(client: Client, fake: FakeApp) -> None:
    client.http.get("/demo/hello", headers={"X-Test": "allow"})
    (event,) = fake.events
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["requestContext"]["stage"] == "api"  # APIAUTH_LOCAL_STAGE's default


def test_install_is_what_makes_the_difference(fake: FakeApp, project_dir: Path) -> None:
    authorizer_shim.uninstall()
    try:
        assert not authorizer_shim.is_installed()
        with Client(fake.app, project_dir=str(project_dir)) as c:
            # Stock chalice warns and lets the request through without calling the authorizer.
            with pytest.warns(UserWarning, match="RequestAuthorizer is not a supported"):
                response = c.http.get("/demo/hello")
            assert response.status_code == 200
            assert response.json_body["authorizer"] is None
            assert fake.events == []

            authorizer_shim.install()
            authorizer_shim.install()  # idempotent: one wrapper, not two
            assert authorizer_shim.is_installed()
            wrapped: Any = LocalGatewayAuthorizer.authorize
            assert not getattr(wrapped.__wrapped__, "__apiauth_request_authorizer_shim__", False)
            # Same client (its LocalGateway already exists): the patch still applies.
            response = c.http.get("/demo/hello")
            assert response.status_code == 401
            assert len(fake.events) == 1
    finally:
        authorizer_shim.install()


def test_token_authorizer_routes_keep_chalice_behaviour(project_dir: Path, shim: None) -> None:
    app = Chalice(app_name="shimtest")

    @app.authorizer()
    def admin_auth(auth_request: AuthRequest) -> AuthResponse:
        if auth_request.token == "Bearer crash":  # e.g. the token table cannot be read
            raise RuntimeError("storage unavailable")
        allowed = auth_request.token == "Bearer good"
        return AuthResponse(
            routes=["*"] if allowed else [], principal_id="admin", context={"account": "default"}
        )

    @app.route("/v1/things", authorizer=admin_auth)
    def things() -> dict[str, Any]:
        request = app.current_request
        assert request is not None
        return {"authorizer": request.context.get("authorizer")}

    with Client(app, project_dir=str(project_dir)) as c:
        ok = c.http.get("/v1/things", headers={"Authorization": "Bearer good"})
        assert ok.status_code == 200
        assert ok.json_body["authorizer"]["account"] == "default"
        assert c.http.get("/v1/things", headers={"Authorization": "Bearer bad"}).status_code == 403
        assert c.http.get("/v1/things").status_code == 401
        # API Gateway's answer to a TOKEN authorizer that fails, not an unanswered request.
        crashed = c.http.get("/v1/things", headers={"Authorization": "Bearer crash"})
        assert crashed.status_code == 500
        assert crashed.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


# --- the local HTTP server ----------------------------------------------------------------


def _http(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.loads(error.read())


def test_local_http_server(fake: FakeApp, project_dir: Path, shim: None) -> None:
    config = CLIFactory(str(project_dir)).create_config_obj(chalice_stage_name="dev")
    server: LocalDevServer = create_local_server(fake.app, config, "127.0.0.1", 0)
    port = server.server.server_address[1]
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        status, _, body = _http(base + "/demo/hello?x=1", {"X-Test": "allow"})
        assert status == 200
        assert body["authorizer"]["app_id"] == "a1"
        assert fake.events[-1]["headers"]["x-test"] == "allow"  # lower-cased, as locally
        assert fake.events[-1]["multiValueQueryStringParameters"] == {"x": ["1"]}

        status, headers, body = _http(base + "/demo/hello", {"X-Test": "deny"})
        assert status == 403
        assert headers["X-Ca-Error-Code"] == "NONCE_USED"
        assert headers["X-Ca-Server-Time"] == "1700000000000"
        assert headers["Content-Type"] == "application/json"
        assert body == {"code": "NONCE_USED", "message": "Nonce Used"}

        status, headers, body = _http(base + "/demo/hello", {})
        assert status == 401
        assert headers["X-Ca-Error-Code"] == "MISSING_CREDENTIALS"
        assert body["code"] == "MISSING_CREDENTIALS"

        status, _, body = _http(base + "/open", {})
        assert (status, body) == (200, {"open": "yes"})
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(timeout=5)


# --- swagger / chalice package ------------------------------------------------------------


def test_to_swagger_is_an_uncached_request_authorizer() -> None:
    swagger = RequestAuthorizer("request_authorizer").to_swagger()
    assert swagger["x-amazon-apigateway-authtype"] == "custom"
    auth = swagger["x-amazon-apigateway-authorizer"]
    assert auth["type"] == "request"
    assert auth["authorizerResultTtlInSeconds"] == 0
    assert "identitySource" not in auth
    assert "${RequestAuthorizer.Arn}" in auth["authorizerUri"]["Fn::Sub"]


@pytest.mark.parametrize("name", ["request_authorizer", "my-auth_fn", "a__b", "x1"])
def test_logical_id_matches_chalice(name: str) -> None:
    assert cfn_logical_id(name) == to_cfn_resource_name(name)


def test_cfn_swagger_security(fake: FakeApp) -> None:
    swagger = CFNSwaggerGenerator().generate_swagger(fake.app)
    assert swagger["paths"]["/demo/hello"]["get"]["security"] == [{"request_authorizer": []}]
    assert "security" not in swagger["paths"]["/open"]["get"]
    definition = swagger["securityDefinitions"]["request_authorizer"]
    assert definition["x-amazon-apigateway-authorizer"]["type"] == "request"


APP_PY = """
from chalice.app import AuthRequest, AuthResponse, Chalice
from chalicelib.http.gateway_authorizer import RequestAuthorizer

app = Chalice(app_name="shimtest")
signature_authorizer = RequestAuthorizer("request_authorizer")


@app.lambda_function(name="request_authorizer")
def request_authorizer(event, context):
    raise Exception("Unauthorized")


@app.route("/demo/hello", authorizer=signature_authorizer)
def hello():
    return {}
"""


def test_chalice_package_wires_the_request_authorizer(project_dir: Path, tmp_path: Path) -> None:
    (project_dir / "app.py").write_text(APP_PY)
    lib = project_dir / "chalicelib" / "http"
    lib.mkdir(parents=True)
    (project_dir / "chalicelib" / "__init__.py").write_text("")
    (lib / "__init__.py").write_text("")
    shutil.copy(gateway_authorizer.__file__, lib / "gateway_authorizer.py")
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "AWS_PROFILE"}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", PYTHONPATH="")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from chalice.cli import main; main()",
            "--project-dir",
            str(project_dir),
            "package",
            "--stage",
            "dev",
            str(out),
        ],
        check=True,
        env=env,
        cwd=str(project_dir),
        timeout=120,
        capture_output=True,
    )
    template = json.loads((out / "sam.json").read_text())
    resources = template["Resources"]
    function = resources["RequestAuthorizer"]
    assert function["Type"] == "AWS::Serverless::Function"
    assert function["Properties"]["Handler"] == "app.request_authorizer"
    swagger = resources["RestAPI"]["Properties"]["DefinitionBody"]
    assert swagger["paths"]["/demo/hello"]["get"]["security"] == [{"request_authorizer": []}]
    auth = swagger["securityDefinitions"]["request_authorizer"]["x-amazon-apigateway-authorizer"]
    assert auth["type"] == "request"
    assert auth["authorizerResultTtlInSeconds"] == 0
    assert auth["authorizerUri"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
        "/functions/${RequestAuthorizer.Arn}/invocations"
    }
    # chalice package grants API Gateway invoke rights only to the API handler and built-in
    # authorizers: the merge template must add the permission for RequestAuthorizer.
    permissions = [name for name, r in resources.items() if r["Type"] == "AWS::Lambda::Permission"]
    assert permissions == ["APIHandlerInvokePermission"]


def test_the_shim_and_the_deployment_answer_from_one_table_of_gateway_responses() -> None:
    from chalicelib.http.gateway_responses import RESPONSES, render, swagger

    document = swagger()
    assert (
        set(document)
        == set(RESPONSES)
        == {
            "ACCESS_DENIED",
            "UNAUTHORIZED",
            "DEFAULT_4XX",
            "DEFAULT_5XX",
        }
    )
    context = {"error_code": "THROTTLED", "error_body": "{}", "retry_after": "7"}
    status, headers, body = render("ACCESS_DENIED", context, "req-1")
    assert (status, body) == (403, "{}")
    assert headers == {
        "X-Ca-Error-Code": "THROTTLED",
        "Retry-After": "7",
        "X-Ca-Request-Id": "req-1",
    }
    parameters = document["ACCESS_DENIED"]["responseParameters"]  # type: ignore[index]
    assert parameters["gatewayresponse.header.Retry-After"] == "context.authorizer.retry_after"
    status, headers, body = render("UNAUTHORIZED", {}, "req-2")
    assert status == 401 and headers["X-Ca-Error-Code"] == "MISSING_CREDENTIALS"
    assert body == '{"code":"MISSING_CREDENTIALS","message":"Empty Signature"}'
