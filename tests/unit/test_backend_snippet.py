"""The backend's Content-MD5 check that docs/deployment.md hands to other teams works as shown."""

from __future__ import annotations

import base64
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.signing import content_md5

DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"


@pytest.fixture(scope="module")
def body_matches_signature() -> Callable[[dict[str, Any]], bool]:
    blocks = re.findall(r"```python\n(.*?) *```", DOC.read_text(encoding="utf-8"), re.S)
    [snippet] = [block for block in blocks if "def body_matches_signature" in block]
    namespace: dict[str, Any] = {}
    exec(compile(textwrap.dedent(snippet), str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    function: Callable[[dict[str, Any]], bool] = namespace["body_matches_signature"]
    return function


def event(body: bytes | None, signed: str | None, *, base64_body: bool = False) -> dict[str, Any]:
    context = {"content_md5": signed} if signed is not None else {}
    text = (
        None if body is None else base64.b64encode(body).decode() if base64_body else body.decode()
    )
    return {"body": text, "isBase64Encoded": base64_body, "requestContext": {"authorizer": context}}


def test_a_body_matching_its_signed_md5_passes(body_matches_signature: Any) -> None:
    body = '{"order": 42, "note": "ünïcode"}'.encode()
    assert body_matches_signature(event(body, content_md5(body)))
    assert body_matches_signature(event(b"\xff\x00", content_md5(b"\xff\x00"), base64_body=True))


def test_a_changed_body_or_an_unsigned_body_fails(body_matches_signature: Any) -> None:
    assert not body_matches_signature(event(b'{"order": 43}', content_md5(b'{"order": 42}')))
    assert not body_matches_signature(event(b'{"order": 42}', None))
    assert body_matches_signature(event(None, None)) and body_matches_signature(event(b"", None))
