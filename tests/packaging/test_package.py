"""The production package: the README's `make package STAGE=prod` builds it once, in a fresh copy
of the repository with a bare `python3`, and every test reads that build. Expectations come from
the code (models, settings, routes), not from copies of the template."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
STACK_PREFIX = {"Fn::Sub": "${AWS::StackName}-"}
NOT_IN_A_NEW_SHELL = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}


def _fresh_clone(dest: Path) -> Path:
    """The files git tracks, as they are in the working tree: what a clone has once they are
    committed. Untracked files, .venv, .build and dist/ stay behind, so nothing built before
    can help the command."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout, no fresh clone to build from: {listed.stderr!r}")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is gone from the clone
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name, follow_symlinks=False)
    return dest


def _plain_environment(bin_dir: Path) -> dict[str, str]:
    """A new user's shell: no virtualenv active or on PATH, and first on PATH a `python3` that is
    the bare interpreter behind the tests' virtualenv (without the project's requirements)."""
    bin_dir.mkdir()
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    (bin_dir / "python3").symlink_to(os.path.realpath(base))
    in_a_venv = {os.path.realpath(Path(sys.prefix) / "bin")}
    if os.environ.get("VIRTUAL_ENV"):
        in_a_venv.add(os.path.realpath(Path(os.environ["VIRTUAL_ENV"]) / "bin"))
    path = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry
        and os.path.realpath(entry) not in in_a_venv
        and not (Path(entry).parent / "pyvenv.cfg").exists()
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in NOT_IN_A_NEW_SHELL and not key.startswith("APIAUTH_PACKAGE_")
    }
    env["PATH"] = os.pathsep.join([str(bin_dir), *path])
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The README's command, `make package STAGE=prod`, run as a new user runs it (CONTRACT.md 1,
    "package"): in a fresh clone, with a plain `python3` and no virtualenv."""
    from devtools import package  # stdlib only at import

    try:
        package.find_python()
    except package.PackageError as error:
        pytest.skip(f"cannot build the Lambda package here: {error}")
    if not shutil.which("make"):
        pytest.skip("no `make` on this machine")
    clone = _fresh_clone(tmp_path_factory.mktemp("fresh-clone"))
    env = _plain_environment(tmp_path_factory.mktemp("plain") / "bin")
    plain = subprocess.run(
        ["python3", "-c", "import sys; print(sys.executable, sys.prefix == sys.base_prefix)"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    has_pynamodb = subprocess.run(
        ["python3", "-c", "import pynamodb"], capture_output=True, env=env, check=False
    )
    done = subprocess.run(
        ["make", "package", "STAGE=prod"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=clone,
        env=env,
        check=False,
    )
    assert done.returncode == 0, (
        f"`make package STAGE=prod` failed on a fresh clone with {plain.stdout.strip()}:\n"
        f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    import yaml

    out = clone / "dist"
    return {
        "out": out,
        "stdout": done.stdout,
        "python3": plain.stdout.split()[0],
        "python3_is_a_venv": plain.stdout.split()[1] == "False",
        "python3_has_pynamodb": has_pynamodb.returncode == 0,
        "template": yaml.safe_load((out / "sam.yaml").read_text()),
        "report": json.loads((out / "package-report.json").read_text()),
    }


@pytest.fixture(scope="session")
def resources(build: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = build["template"]["Resources"]
    return found


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def _refers_to(value: Any, logical_id: str) -> bool:
    """True when a CloudFormation value points at ``logical_id`` (Ref, GetAtt or Sub)."""
    text = json.dumps(value)
    name = re.escape(logical_id)
    return bool(
        re.search(rf'"Ref": "{name}"', text)
        or re.search(rf'"Fn::GetAtt": \["{name}"', text)
        or re.search(r"\$\{" + name + r"[.}]", text)
    )


# --------------------------------------------------------------------------------------------


def test_readme_command_builds_on_a_fresh_clone_with_a_plain_python3(
    build: dict[str, Any],
) -> None:
    # What the build ran with: a bare interpreter, PynamoDB and the rest out of its reach.
    assert not build["python3_is_a_venv"], build["python3"]
    assert not build["python3_has_pynamodb"], f"{build['python3']} can import pynamodb"
    assert {p.name for p in build["out"].iterdir()} >= {
        "sam.yaml",
        "deployment.zip",
        "package-report.json",
    }


def test_command_reports_both_cold_import_figures(build: dict[str, Any]) -> None:
    report = build["report"]
    assert report["cold_import_seconds_before"] > 0
    assert report["cold_import_seconds_after"] > 0
    assert "without .pyc" in build["stdout"] and "with .pyc" in build["stdout"]


def test_cfn_lint_passes(build: dict[str, Any]) -> None:
    pinned = next(
        line.split("==", 1)[1].strip()
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if line.lower().startswith("cfn-lint==")
    )
    # The console script of the environment running the tests (cfnlint has no __main__).
    script = Path(sys.executable).parent / "cfn-lint"
    cfn_lint = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]
    )
    version = subprocess.run(cfn_lint + ["--version"], capture_output=True, text=True, check=False)
    assert version.returncode == 0, f"cfn-lint (pinned {pinned}) is not installed: {version.stderr}"
    lint = subprocess.run(
        cfn_lint + [str(build["out"] / "sam.yaml")], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, (
        f"{version.stdout.strip()} (pinned {pinned}):\n{lint.stdout}{lint.stderr}"
    )


def test_functions_get_the_table_prefix_and_key_and_a_supported_runtime(
    build: dict[str, Any], resources: dict[str, Any]
) -> None:
    functions = _of_type(resources, "AWS::Serverless::Function")
    assert {"APIHandler", "RequestAuthorizer", "AdminToken"} <= set(functions)
    runtime = build["report"]["runtime"]
    assert re.fullmatch(r"python3\.(1[2-9])", runtime)
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == runtime, name
        env = props["Environment"]["Variables"]
        assert env["APIAUTH_TABLE_PREFIX"] == STACK_PREFIX, name
        assert _refers_to(env["APIAUTH_KMS_KEY_ID"], "SigningKey"), name
        log_groups = [
            g
            for g in _of_type(resources, "AWS::Logs::LogGroup").values()
            if _refers_to(g["Properties"]["LogGroupName"], name)
        ]
        assert log_groups and log_groups[0]["Properties"]["RetentionInDays"] > 0, name
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    memory = config["stages"]["prod"]["lambda_functions"]["request_authorizer"]
    assert (
        functions["RequestAuthorizer"]["Properties"]["MemorySize"] == memory["lambda_memory_size"]
    )


def _protected_routes() -> list[tuple[str, str]]:
    from app import app
    from chalicelib.http.gateway_authorizer import RequestAuthorizer

    routes = [
        (path, method.lower())
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if isinstance(entry.authorizer, RequestAuthorizer)
    ]
    assert routes, "no route uses the REQUEST authorizer"
    return routes


def test_request_authorizer_is_type_request_ttl_0_on_every_protected_route(
    resources: dict[str, Any],
) -> None:
    body = resources["RestAPI"]["Properties"]["DefinitionBody"]
    schemes = body["securityDefinitions"]
    request_schemes = {
        name
        for name, s in schemes.items()
        if s["x-amazon-apigateway-authorizer"]["type"] == "request"
    }
    assert request_schemes == {"request_authorizer"}
    for name in request_schemes:
        authorizer = schemes[name]["x-amazon-apigateway-authorizer"]
        assert authorizer["authorizerResultTtlInSeconds"] == 0
        assert _refers_to(authorizer["authorizerUri"], "RequestAuthorizer")
    for path, method in _protected_routes():
        assert body["paths"][path][method]["security"] == [{"request_authorizer": []}], (
            path,
            method,
        )
    permissions = [
        p["Properties"]
        for p in _of_type(resources, "AWS::Lambda::Permission").values()
        if _refers_to(p["Properties"]["FunctionName"], "RequestAuthorizer")
    ]
    assert any(
        p["Principal"] == "apigateway.amazonaws.com" and _refers_to(p["SourceArn"], "RestAPI")
        for p in permissions
    ), "no invoke permission lets this API Gateway call the REQUEST authorizer"


def _statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in role["Properties"].get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]
    assert not role["Properties"].get("ManagedPolicyArns")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_iam_policies_name_no_wildcard_resource_for_dynamodb(resources: dict[str, Any]) -> None:
    roles = _of_type(resources, "AWS::IAM::Role")
    assert roles
    for name, role in roles.items():
        for statement in _statements(role):
            actions = _listed(statement["Action"])
            assert "*" not in actions and "dynamodb:*" not in actions, name
            assert not statement.get("Sid", "").startswith("LogsOnlyTheMergeTemplate"), (
                f"{name} still has the placeholder policy of .chalice/policy-<stage>.json"
            )
            if any(a.startswith("dynamodb:") for a in actions):
                for resource in _listed(statement["Resource"]):
                    assert isinstance(resource, dict), f"{name}: literal resource {resource!r}"
                    assert any(
                        _refers_to(resource, t)
                        for t in resources
                        if resources[t]["Type"] == "AWS::DynamoDB::Table"
                    ), (name, resource)


def test_request_authorizer_role_is_read_batch_put_count_get_nonce_and_decrypt_only(
    resources: dict[str, Any],
) -> None:
    role = resources[resources["RequestAuthorizer"]["Properties"]["Role"]["Fn::GetAtt"][0]]
    actions = {a for s in _statements(role) for a in _listed(s["Action"])}
    assert {a for a in actions if not a.startswith("logs:")} == {
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "kms:Decrypt",
    }
    # It may update the limit counters, and nothing else.
    [counting] = [s for s in _statements(role) if "dynamodb:UpdateItem" in _listed(s["Action"])]
    assert counting["Resource"] == {"Fn::GetAtt": ["CountersTable", "Arn"]}
    # It may read one call record (is a nonce in use?), and nothing else.
    [reading] = [s for s in _statements(role) if "dynamodb:GetItem" in _listed(s["Action"])]
    assert _listed(reading["Resource"]) == [{"Fn::GetAtt": ["CallsTable", "Arn"]}]


def test_gateway_responses_carry_the_authorizer_verdict(resources: dict[str, Any]) -> None:
    responses = resources["RestAPI"]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"
    ]
    denied = responses["ACCESS_DENIED"]
    assert denied["statusCode"] == "403"
    headers = denied["responseParameters"]
    assert headers["gatewayresponse.header.X-Ca-Error-Code"] == "context.authorizer.error_code"
    assert headers["gatewayresponse.header.X-Ca-Error-Message"] == (
        "context.authorizer.error_message"
    )
    assert headers["gatewayresponse.header.X-Ca-Request-Id"] == "context.requestId"
    assert headers["gatewayresponse.header.Retry-After"] == "context.authorizer.retry_after"
    # The authorizer hands a ready JSON body: templates substitute, they cannot escape.
    assert denied["responseTemplates"]["application/json"] == "$context.authorizer.error_body"
    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized["statusCode"] == "401"
    assert unauthorized["responseParameters"]["gatewayresponse.header.X-Ca-Error-Code"] == (
        "'MISSING_CREDENTIALS'"
    )
    assert json.loads(unauthorized["responseTemplates"]["application/json"]) == {
        "code": "MISSING_CREDENTIALS",
        "message": "Empty Signature",
    }


def test_zip_ships_pyc_for_the_runtime_and_no_tests_dev_tools_or_moto(
    build: dict[str, Any],
) -> None:
    runtime = build["report"]["runtime"]
    tag = "cpython-" + runtime.removeprefix("python").replace(".", "")
    with zipfile.ZipFile(build["out"] / "deployment.zip") as zf:
        names = zf.namelist()
    pyc = [n for n in names if n.endswith(".pyc")]
    assert pyc and all(n.endswith(f".{tag}.pyc") and "/__pycache__/" in "/" + n for n in pyc)
    for source in [n for n in names if n.endswith(".py")]:
        if source == "app.py" or source.startswith("chalicelib/"):
            folder, _, stem = source[:-3].rpartition("/")
            expected = (folder + "/" if folder else "") + f"__pycache__/{stem}.{tag}.pyc"
            assert expected in names, f"no .pyc for {source}"
    tops = {n.split("/", 1)[0] for n in names}
    assert not tops & {
        "tests",
        "devtools",
        "bench",
        "moto",
        "pytest",
        "_pytest",
        "hypothesis",
        "cfnlint",
        "infra",
        ".chalice",
    }, tops
    assert not [n for n in names if n.split("/")[-1] in {".env", "conftest.py"}]
    assert "app.py" in names and "chalicelib/config.py" in names


def test_zip_ships_every_console_file(build: dict[str, Any]) -> None:
    from chalicelib.http import console

    with zipfile.ZipFile(build["out"] / "deployment.zip") as zf:
        names = set(zf.namelist())
    expected = {f"chalicelib/console/{name}" for name in console.served_files()}
    assert expected and "chalicelib/console/index.html" in expected
    assert expected <= names, sorted(expected - names)
