"""GET /console: the static console, served without auth, text types only, strict headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from chalicelib.http import console
from tests.support.admin import module_world

FOLDER = console.FOLDER
FILES = sorted(p.relative_to(FOLDER).as_posix() for p in FOLDER.rglob("*") if p.is_file())
SCRIPTS = [name for name in FILES if name.endswith(".js")]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One test client for the module: serving the console's files reads and writes nothing."""
    with module_world() as admin:
        yield admin.client


def _check_security_headers(headers: dict[str, str]) -> None:
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_console_page_is_served_without_auth_with_security_headers(client: Any) -> None:
    response = client.http.get("/console")  # no Authorization header
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    _check_security_headers(response.headers)
    assert b'<script type="module" src="console/main.js"></script>' in response.body


@pytest.mark.parametrize("path", ["/console", "/console/"])
def test_the_page_loads_every_file_it_refers_to_from_either_address(client: Any, path: str) -> None:
    url = "http://127.0.0.1:8000" + path
    response = client.http.get(path)
    if response.status_code in (301, 302, 303, 307, 308):
        url = urljoin(url, response.headers["Location"])
        response = client.http.get(urlsplit(url).path)
    assert response.status_code == 200, response.body
    references = re.findall(r'(?:src|href)="([^"#]+)"', response.body.decode())
    assert references
    for reference in references:
        asset = urlsplit(urljoin(url, reference)).path
        assert client.http.get(asset).status_code == 200, (reference, asset)


@pytest.mark.parametrize("name", FILES)
def test_every_console_file_is_served_with_a_text_type(client: Any, name: str) -> None:
    response = client.http.get(f"/console/{name}")
    assert response.status_code == 200, name
    kind = response.headers["Content-Type"]
    assert kind.startswith(("text/", "image/svg+xml")), kind
    _check_security_headers(response.headers)
    assert response.body == (FOLDER / name).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/console/app.py",
        "/console/..%2F..%2Fapp.py",
        "/console/%2E%2E/app.py",
        "/console/pages/..%2F..%2F..%2Fapp.py",
        "/console/nothing.js",
        "/console/http/console.py",
    ],
)
def test_console_serves_only_its_own_files(client: Any, path: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 404
    _check_security_headers(response.headers)


def test_console_routes_are_get_only_and_carry_no_authorizer() -> None:
    from app import app

    routes = {path: entry for path, entry in app.routes.items() if path.startswith("/console")}
    assert set(routes) == {"/console", "/console/{name}", "/console/{folder}/{name}"}
    for entry in routes.values():
        assert set(entry) == {"GET"}
        assert entry["GET"].authorizer is None


def test_the_packaged_folder_holds_only_text_files_of_served_types() -> None:
    assert set(FILES) == set(console.served_files())


def _keys(name: str) -> list[str]:
    text = (FOLDER / "i18n" / name).read_text(encoding="utf-8")
    return re.findall(r"^  ([A-Za-z_]+):", text, flags=re.MULTILINE)


def test_both_dictionaries_have_the_same_keys() -> None:
    english, chinese = _keys("en.js"), _keys("zh-CN.js")
    assert len(english) == len(set(english)), "a key is repeated in en.js"
    assert len(chinese) == len(set(chinese)), "a key is repeated in zh-CN.js"
    assert set(english) == set(chinese)


def test_every_key_the_code_uses_is_in_the_dictionaries() -> None:
    known = set(_keys("en.js"))
    used: set[str] = set()
    for name in SCRIPTS:
        used |= set(re.findall(r"\bt\('([A-Za-z_]+)'", (FOLDER / name).read_text(encoding="utf-8")))
    assert used - known == set()


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_never_insert_html(name: str) -> None:
    # API data goes in as text: no HTML parsing sinks anywhere in the console's code.
    text = (FOLDER / name).read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in text, f"{name} uses {sink}"


@pytest.mark.parametrize("name", SCRIPTS)
def test_module_imports_name_files_that_exist(name: str) -> None:
    path = FOLDER / name
    pattern = r"""from '(\.[^']+)'|import\('(\.[^']+)'\)"""
    for target in re.findall(pattern, path.read_text("utf-8")):
        relative = next(part for part in target if part)
        assert (path.parent / relative).resolve().is_file(), f"{name} imports {relative}"


def test_index_has_no_inline_script_or_style() -> None:
    html = (FOLDER / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html and "style=" not in html
    assert re.findall(r"\son[a-z]+=", html) == []
