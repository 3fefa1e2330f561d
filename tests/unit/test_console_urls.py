"""The console's api.js sends every call, and so the Bearer token, to the page's own origin.

Opened at ``//console`` the page once computed ``/`` as its base path and ``new URL('//v1/tokens',
origin)`` is a URL of the host ``v1``: only the CSP kept the token home (issue 17, finding 5).
The module runs in Node with ``location`` and ``fetch`` stubbed, as the browser would run it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

API_JS = Path(__file__).resolve().parents[2] / "chalicelib" / "console" / "api.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="no node on PATH to run the console's JS")

# Loads api.js as the page at PAGE would, calls the API once and prints where the call went.
SCRIPT = r"""
const { PAGE, SOURCE } = process.env;
globalThis.location = new URL(PAGE);
const store = new Map([['apiauth.token', 'aat_secret-token']]);
globalThis.sessionStorage = {
  getItem: (key) => store.get(key) ?? null,
  setItem: (key, value) => store.set(key, value),
  removeItem: (key) => store.delete(key),
};
const sent = [];
globalThis.fetch = async (target, init) => {
  sent.push({ url: String(target), authorization: init.headers.Authorization });
  return { ok: true, status: 200, text: async () => '{"items": [], "next_cursor": null}' };
};
const api = await import('data:text/javascript;base64,' + Buffer.from(SOURCE).toString('base64'));
await api.get('/v1/tokens', { limit: 5 });
await api.post('/v1/apps', { name: 'x' });
console.log(JSON.stringify({ sent, openapi: String(api.url('/openapi.json')) }));
"""


def run_page(page: str) -> dict[str, object]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", SCRIPT],
        env={"PAGE": page, "SOURCE": API_JS.read_text(encoding="utf-8")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(
    ("page", "prefix"),
    [
        ("http://127.0.0.1:8000/console", ""),
        ("https://abc.execute-api.us-east-1.amazonaws.com/prod/console", "/prod"),
        ("http://127.0.0.1:8000//console", ""),
        ("http://127.0.0.1:8000///console/", ""),
        ("http://127.0.0.1:8000//evil.example/console", "/evil.example"),
        ("http://127.0.0.1:8000//evil.example:80/console", "/evil.example:80"),
    ],
)
def test_every_api_call_goes_to_the_pages_origin(page: str, prefix: str) -> None:
    from urllib.parse import urlsplit

    origin = urlsplit(page)._replace(path="").geturl()
    result = run_page(page)
    sent = result["sent"]
    assert isinstance(sent, list) and len(sent) == 2
    urls = [call["url"] for call in sent] + [result["openapi"]]
    for url in urls:
        parts = urlsplit(str(url))
        assert f"{parts.scheme}://{parts.netloc}" == origin, (page, url)
    assert [urlsplit(str(url)).path for url in urls] == [
        f"{prefix}/v1/tokens",
        f"{prefix}/v1/apps",
        f"{prefix}/openapi.json",
    ]
    assert urlsplit(str(urls[0])).query == "limit=5"
