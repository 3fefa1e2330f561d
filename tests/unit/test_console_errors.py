"""The console's errors.js: each answer the API gives a person, as a sentence in the page's
language saying what to do; never a pattern, never pydantic's words. Runs the module in Node
with the page's globals stubbed (as tests/unit/test_console_urls.py runs api.js)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[2] / "chalicelib" / "console"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="no node on PATH to run the console's JS")

SCRIPT = r"""
const { LANG, FOLDER, CASES } = process.env;
globalThis.localStorage = { getItem: () => LANG, setItem: () => {} };
globalThis.navigator = { language: 'en' };
globalThis.document = { documentElement: {} };
const { describe } = await import(`${FOLDER}/errors.js`);
console.log(JSON.stringify(JSON.parse(CASES).map((c) => describe(c))));
"""

# (status, code, field, the server's message, Retry-After) -> what the sentence must hold
CASES = [
    (400, "access_key", "access_key: String should match pattern '^[A-Za-z0-9]{8,32}$'", "32"),
    (400, "name", "name: Field required", ""),
    (400, "name", "name: String should have at most 128 characters", "128"),
    (400, "limits.per_day", "limits.per_day: Input should be greater than 0", "0"),
    (400, "stages.0", "stages.0: Input should be 'TEST', 'PRE' or 'RELEASE'", "RELEASE"),
    (400, "expires_at", "expires_at: must be in the future", ""),
    (400, "from", "from: must not be after 'to'", ""),
    (400, "entries[1]", "entries[1]: '::1' looks like an IPv6 address; IPv6 is not...", "::1"),
    (
        400,
        "entries[0]",
        "entries[0]: '10.0.0.1/8' has host bits set; did you mean '10.0.0.0/8'?",
        "10.0.0.0/8",
    ),
    (400, "tag", "tag: String should match pattern '^[\\s\\S]+:'", ""),
    (404, None, "key abcdefgh12 not found", "abcdefgh12"),
    (409, None, "access key abcdefgh12 is already in use; choose another or omit it", "abcdefgh12"),
    (409, None, "app app-1 is enabled; disable it (PATCH enabled=false) first", "app-1"),
    (503, None, "storage is unavailable", "7"),
    (0, None, "Failed to fetch", "make run"),
]
RAW = re.compile(r"\^|pattern|String should|Input should|Field required|PATCH|; ")


def sentences(lang: str) -> list[str]:
    assert NODE is not None
    cases = [
        {"status": s, "field": f, "detail": m, "retryAfter": 7 if s == 503 else None}
        for s, f, m, _ in CASES
    ]
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", SCRIPT],
        env={"LANG": lang, "FOLDER": str(FOLDER), "CASES": json.dumps(cases)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: list[str] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_each_error_is_a_sentence_in_the_pages_language(lang: str) -> None:
    for (status, field, message, must), said in zip(CASES, sentences(lang), strict=True):
        assert said and not RAW.search(said), (status, field, said)
        assert must in said, (message, said)
        assert bool(re.search(r"[\u4e00-\u9fff]", said)) == (lang == "zh-CN"), said
