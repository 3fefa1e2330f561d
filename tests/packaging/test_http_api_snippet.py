"""The CloudFormation snippet of docs/deployment.md that attaches the authorizer to an existing
HTTP API passes the pinned cfn-lint, and configures what CONTRACT.md 3.4 needs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"


@pytest.fixture(scope="module")
def snippet() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    [block] = [block for block in blocks if "AWS::ApiGatewayV2::Authorizer" in block]
    return str(block)


def _cfn_lint() -> list[str]:
    script = Path(sys.executable).parent / "cfn-lint"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]


def _lint(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    template = tmp_path / "http-api.yaml"
    template.write_text(text, encoding="utf-8")
    return subprocess.run(
        [*_cfn_lint(), str(template)], capture_output=True, text=True, check=False
    )


def test_the_http_api_snippet_passes_cfn_lint(snippet: str, tmp_path: Path) -> None:
    lint = _lint(snippet, tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # The same lint refuses a broken copy: the check can fail.
    broken = snippet.replace("AuthorizerPayloadFormatVersion:", "PayloadFormatVersion:")
    assert _lint(broken, tmp_path).returncode != 0


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub) read as plain values."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node))


def test_the_snippet_never_caches_and_answers_simply(snippet: str) -> None:
    resources: dict[str, Any] = yaml.load(snippet, Loader=_Loader)["Resources"]  # noqa: S506
    [authorizer] = [r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Authorizer"]
    properties = authorizer["Properties"]
    assert properties["AuthorizerPayloadFormatVersion"] == "2.0"
    assert properties["EnableSimpleResponses"] is True
    assert properties["AuthorizerResultTtlInSeconds"] == 0
    assert "IdentitySource" not in properties  # else a call without it is never recorded
    [permission] = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
