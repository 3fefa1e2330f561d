"""The first five minutes, as the README tells them: its curl walkthrough pasted as it is
into a shell against the real local run (on a port of its own, not 8000), its Python example,
``sign_call --verbose`` beside the server's own StringToSign, and the console's address the
run prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.support.local_server import LocalRun
from tests.support.paths import ROOT

README = ROOT / "README.md"


def _block(section: str, language: str) -> str:
    """The first fenced block of ``language`` under the README's heading ``section``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {section}\n")
    found = re.search(rf"^```{language}\n(.*?)^```$", text[start:], flags=re.M | re.S)
    assert found, f"no {language} block under {section}"
    return found.group(1)


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        args,
        input=stdin,
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough needs curl")
def test_the_readme_walkthrough_works_pasted_as_is_on_any_port(local: LocalRun) -> None:
    assert local.port != 8000
    # `bash -e` stops at the first failing line: what a person pasting it would see fail.
    out = _run(
        ["bash", "-e", "-o", "pipefail"],
        {"T": local.token, "PORT": str(local.port)},
        stdin=_block("A first session with curl", "sh"),
    )
    assert re.search(r"^app app-\S+, access key \S+$", out, flags=re.M), out
    assert re.search(r'^200 \{"body":"\{\\"hello\\": \\"world\\"\}"', out, flags=re.M), out
    assert "StringToSign: GET#" in out and "> x-ca-signature: " in out, out
    assert "\nsuccess\n" in out and "\nlocal\n" in out, out
    assert f"console: {local.base_url}/console" in out, out


def test_the_readmes_signed_call_passes_a_secret_that_starts_with_a_dash(
    local: LocalRun,
) -> None:
    """A generated secret starts with "-" once in 64; pasted as ``--secret $SECRET`` argparse
    took it for an option (a new user's `make test` failed so)."""
    app = local.new_app(secret="-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv")
    assert app.secret.startswith("-")
    [line] = [
        line
        for line in _block("A first session with curl", "sh").splitlines()
        if "devtools.sign_call" in line and line.rstrip().endswith("--verbose")
    ]
    out = _run(
        ["bash", "-e", "-o", "pipefail", "-c", line],
        {"B": local.base_url, "KEY": app.access_key, "SECRET": app.secret},
    )
    assert re.search(r"^200 ", out, flags=re.M), out


def test_the_readme_python_example_signs_a_call(local: LocalRun) -> None:
    app = local.new_app()
    out = _run(
        [sys.executable, "-"],
        {"B": local.base_url, "KEY": app.access_key, "SECRET": app.secret},
        stdin=_block("A first session with curl", "python"),
    )
    assert out.startswith("200 "), out


def test_sign_call_verbose_prints_what_the_server_compares(local: LocalRun) -> None:
    """With a wrong secret the server answers its StringToSign: it is the one printed."""
    done = subprocess.run(
        [sys.executable, "-m", "devtools.sign_call", f"{local.base_url}/demo/hello?b=2&a=1"]
        + ["--key", local.demo_access_key, "--secret", "not-the-secret", "--verbose"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    ours = re.search(r"^StringToSign: (.*)$", done.stdout, flags=re.M)
    server = re.search(r"^X-Ca-Error-Message: .*Server StringToSign:(.*)$", done.stdout, re.M)
    assert ours and server, done.stdout
    assert ours.group(1) == server.group(1)
    sent = dict(re.findall(r"^> (x-ca-[a-z-]+): (.*)$", done.stdout, flags=re.M))
    assert sent["x-ca-key"] == local.demo_access_key and sent["x-ca-signature"]
    assert "not-the-secret" not in done.stdout


def test_the_run_prints_the_consoles_address_with_the_token_after_the_hash(
    local: LocalRun,
) -> None:
    printed = [line for line in local.output if line.startswith("console: ")]
    assert printed == [f"console: {local.base_url}/console#token={local.token}"]
