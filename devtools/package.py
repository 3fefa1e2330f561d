"""Production packaging: repo -> CloudFormation (SAM) template + Lambda zip, in one command.

    python devtools/package.py --stage prod --out dist/      (or: make package STAGE=prod)

Steps (DESIGN.md decisions 1, 7, 8):

1. Find a Python 3.12+ interpreter. Chalice takes the Lambda runtime from the interpreter that
   runs it, so the package is built with python3.12 (else 3.13 / 3.14); without one it stops
   and says what to install.
2. Create (or reuse) the build virtualenv ``.build/venv-py3XY`` with the chalice version pinned
   in requirements-dev.txt and the runtime requirements (requirements.txt), then re-run this
   script inside it. Whatever ``python3`` started the command needs nothing installed.
3. ``chalice package --stage <stage> --merge-template <merge template>``: ``sam.yaml`` and
   ``deployment.zip``. The merge template is ``infra/merge-template.yaml`` with the DynamoDB
   tables generated from the models (``devtools/tables.py``, run in the build venv, where
   PynamoDB is installed, to ``.build/merge-template.yaml``). The template is rewritten without
   YAML aliases and its runtime checked against the interpreter.
4. Precompile the zip: ``compileall`` with that same interpreter (so the magic number and
   ``cpython-3XY`` tag match the runtime), unchecked-hash pycs (zip extraction changes mtimes,
   which would invalidate timestamp pycs; the package is immutable anyway), .py files kept,
   tracebacks pointing at /var/task. Rezipped deterministically. The cold ``import app`` is
   measured before and after (fresh isolated processes, several runs, minimum).
5. Refuse a zip holding tests, dev tools, moto or secrets.

Writes ``<out>/sam.yaml``, ``<out>/deployment.zip`` and ``<out>/package-report.json``.
Stdlib only until step 3 (PyYAML comes with chalice, PynamoDB from requirements.txt, both in
the build venv). Never calls AWS.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = ROOT / "infra" / "merge-template.yaml"
GENERATED_MERGE_TEMPLATE = ROOT / ".build" / "merge-template.yaml"
BUILD_DIR = ROOT / ".build"
SUPPORTED = ((3, 12), (3, 13), (3, 14))  # Lambda runtimes chalice 1.34 maps 1:1
IN_BUILD_VENV = "APIAUTH_PACKAGE_IN_BUILD_VENV"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# Nothing of these may ship in the Lambda zip (checked on every top-level entry and path part).
FORBIDDEN_TOP = {
    "tests",
    "test",
    "devtools",
    "bench",
    "moto",
    "pytest",
    "_pytest",
    "hypothesis",
    "responses",
    "cfnlint",
    "mypy",
    "ruff",
    "aliyun_api_gateway",
    "werkzeug",
    "flask",
    "infra",
    ".chalice",
    ".build",
    "dist",
    ".venv",
    ".git",
    "docker",
}
FORBIDDEN_NAMES = {".env", "id_rsa", "credentials", ".aws", "conftest.py"}
FORBIDDEN_SUFFIXES = (".key", ".p12", ".pfx")  # .pem: only if it holds a private key


class PackageError(Exception):
    pass


def log(message: str) -> None:
    print(f"[package] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# 1. interpreter
# --------------------------------------------------------------------------------------------


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:  # e.g. a pyenv shim for a version that is not selected
        return None
    major, minor = out.stdout.split()
    return int(major), int(minor)


def _candidates(explicit: str | None) -> list[str]:
    found: list[str] = []
    if explicit:
        return [explicit]
    if os.environ.get("APIAUTH_BUILD_PYTHON"):
        return [os.environ["APIAUTH_BUILD_PYTHON"]]
    for major, minor in SUPPORTED:
        name = f"python{major}.{minor}"
        on_path = shutil.which(name)
        if on_path:
            found.append(on_path)
        pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
        found.extend(
            sorted(glob.glob(f"{pyenv_root}/versions/{major}.{minor}.*/bin/{name}"), reverse=True)
        )
        for prefix in ("/usr/local/bin", "/usr/bin", "/opt/homebrew/bin"):
            found.append(f"{prefix}/{name}")
    return found


def find_python(explicit: str | None = None) -> tuple[str, tuple[int, int]]:
    """The first interpreter among the candidates that runs and is a supported version."""
    tried = []
    for candidate in _candidates(explicit):
        if not (os.path.isabs(candidate) and os.path.exists(candidate)) and not shutil.which(
            candidate
        ):
            continue
        version = _version_of(candidate)
        tried.append(f"{candidate} -> {version}")
        if version in SUPPORTED:
            return candidate, version
    raise PackageError(
        "no Python 3.12 or 3.13 interpreter found (Chalice takes the Lambda runtime from the "
        "interpreter that runs it, and Lambda needs python3.12 or newer).\n"
        "Install one, e.g. `pyenv install 3.12` or `apt-get install python3.12 python3.12-venv`"
        " or `brew install python@3.12`, then run again, or point to it with "
        "`--python /path/to/python3.12` (or APIAUTH_BUILD_PYTHON=...)."
        + ("\nTried: " + "; ".join(tried) if tried else "")
    )


# --------------------------------------------------------------------------------------------
# 2. build venv
# --------------------------------------------------------------------------------------------


def chalice_pin() -> str:
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.lower().startswith("chalice=="):
            return line
    raise PackageError("requirements-dev.txt pins no chalice version (chalice==X.Y.Z)")


def ensure_build_venv(python: str, version: tuple[int, int]) -> Path:
    """Chalice to package, and the runtime requirements so that the build can import the models
    (the tables are generated from them) and the app's own modules."""
    venv = BUILD_DIR / f"venv-py{version[0]}{version[1]}"
    pin = chalice_pin()
    requirements = ROOT / "requirements.txt"
    stamp = venv / ".apiauth-build"
    wanted = f"{pin}\n{version}\n{requirements.read_text()}"
    venv_python = venv / "bin" / "python"
    if stamp.exists() and stamp.read_text() == wanted and venv_python.exists():
        log(f"reusing build venv {venv.relative_to(ROOT)} ({pin})")
        return venv_python
    log(f"creating build venv {venv.relative_to(ROOT)} with {python} ({pin}, requirements.txt)")
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv_python),
            *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *(pin, "-r", str(requirements)),
        ],
        check=True,
    )
    stamp.write_text(wanted)
    return venv_python


# --------------------------------------------------------------------------------------------
# 3. chalice package
# --------------------------------------------------------------------------------------------


def write_merge_template() -> Path:
    """infra/merge-template.yaml with the tables generated from the models (devtools/tables.py),
    in the build venv, which has PynamoDB (requirements.txt)."""
    sys.path.insert(0, str(ROOT))
    from devtools.tables import merge_template_text

    GENERATED_MERGE_TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    GENERATED_MERGE_TEMPLATE.write_text(merge_template_text(MERGE_TEMPLATE.read_text()))
    log(f"tables from the models -> {GENERATED_MERGE_TEMPLATE.relative_to(ROOT)}")
    return GENERATED_MERGE_TEMPLATE


def chalice_package(stage: str, workdir: Path) -> tuple[Path, Path]:
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # packaging never talks to AWS
    chalice = Path(sys.executable).parent / "chalice"
    command = [
        str(chalice),
        "--project-dir",
        str(ROOT),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(GENERATED_MERGE_TEMPLATE),
        "--template-format",
        "yaml",
        str(workdir),
    ]
    template = GENERATED_MERGE_TEMPLATE.relative_to(ROOT)
    log(f"running: chalice package --stage {stage} --merge-template {template}")
    subprocess.run(command, check=True, cwd=ROOT, env=env)
    return workdir / "sam.yaml", workdir / "deployment.zip"


def normalize_template(path: Path, runtime: str) -> dict[str, Any]:
    """Re-dump without YAML aliases (chalice shares one dict between roles) and check runtimes."""
    import yaml  # from the build venv (a chalice dependency)

    template: dict[str, Any] = yaml.safe_load(path.read_text())

    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    functions = {
        name: resource["Properties"].get("Runtime")
        for name, resource in template["Resources"].items()
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }
    wrong = {name: value for name, value in functions.items() if value != runtime}
    if wrong:
        raise PackageError(f"functions with a runtime other than {runtime}: {wrong}")
    add_gateway_responses(template)
    path.write_text(yaml.dump(template, Dumper=NoAliases, sort_keys=True, allow_unicode=True))
    return template


def add_gateway_responses(template: dict[str, Any]) -> None:
    """What a denied caller gets from the REST API, from the table the local shim renders too."""
    sys.path.insert(0, str(ROOT))
    from chalicelib.http.gateway_responses import swagger  # stdlib only

    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    body["x-amazon-apigateway-gateway-responses"] = swagger()


# --------------------------------------------------------------------------------------------
# 4. precompile and measure
# --------------------------------------------------------------------------------------------

_MEASURE = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); "
    "import app; print(time.perf_counter() - t)"
)


def cold_import_seconds(unpacked: Path, runs: int) -> float:
    """Min of ``import app`` over fresh processes: isolated (-I), no site-packages (-S: only
    the zip's dependencies, as on Lambda where /var/task comes first), no pyc writes (-B)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    timings = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", _MEASURE, str(unpacked)],
            capture_output=True,
            text=True,
            check=False,
            cwd=unpacked,
            env=env,
        )
        if out.returncode != 0:
            raise PackageError(f"`import app` fails from the package:\n{out.stderr[-3000:]}")
        timings.append(float(out.stdout.strip().splitlines()[-1]))
    return min(timings)


def _unzip(archive: Path, target: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(target)
        return zf.infolist()


def precompile(archive: Path, workdir: Path, runs: int) -> dict[str, Any]:
    tag = sys.implementation.cache_tag  # e.g. cpython-312
    before_dir = workdir / "before"
    infos = _unzip(archive, before_dir)
    shipped_pyc = [i.filename for i in infos if i.filename.endswith(".pyc")]
    if shipped_pyc:
        log(f"note: chalice shipped {len(shipped_pyc)} .pyc already; they are replaced")
    log(f"measuring cold `import app` without .pyc ({runs} runs)")
    before = cold_import_seconds(before_dir, runs)

    log(f"compiling with {sys.executable} ({tag}, unchecked-hash)")
    compiled = subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(before_dir),
            "-p",
            "/var/task",
            str(before_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # A vendored file that does not compile (py2 leftovers) stays source-only; say so.
    failures = [line for line in compiled.stdout.splitlines() if line.startswith("***")]
    if failures:
        log(f"{len(failures)} file(s) did not compile (kept as .py): {failures[:5]}")

    modes = {i.filename: i.external_attr for i in infos}
    files = sorted(
        p.relative_to(before_dir).as_posix() for p in before_dir.rglob("*") if p.is_file()
    )
    files = [f for f in files if not (f.endswith(".pyc") and f"{tag}." not in f)]
    rezipped = workdir / "deployment.zip"
    with zipfile.ZipFile(rezipped, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = modes.get(name, 0o100644 << 16)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            zf.writestr(info, (before_dir / name).read_bytes(), compresslevel=9)
    after_dir = workdir / "after"
    _unzip(rezipped, after_dir)
    log(f"measuring cold `import app` with .pyc ({runs} runs)")
    after = cold_import_seconds(after_dir, runs)
    pyc_count = sum(1 for f in files if f.endswith(f".{tag}.pyc"))
    return {
        "zip": rezipped,
        "cold_import_seconds_before": round(before, 4),
        "cold_import_seconds_after": round(after, 4),
        "pyc_files": pyc_count,
        "pyc_tag": tag,
        "not_compiled": failures,
    }


# --------------------------------------------------------------------------------------------
# 5. contents check
# --------------------------------------------------------------------------------------------


def forbidden_entries(archive: Path) -> list[str]:
    bad = []
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            parts = name.split("/")
            top = parts[0]
            if (
                top in FORBIDDEN_TOP
                or top.split("-")[0].lower() in {"moto", "pytest", "hypothesis"}
                or any(part in FORBIDDEN_NAMES for part in parts)
                or name.endswith(FORBIDDEN_SUFFIXES)
                or (name.endswith(".pem") and b"PRIVATE KEY" in zf.read(name))
            ):
                bad.append(name)
    return bad


# --------------------------------------------------------------------------------------------


def build(stage: str, out: Path, runs: int) -> dict[str, Any]:
    version = sys.version_info[:2]
    runtime = f"python{version[0]}.{version[1]}"
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="apiauth-package-") as tmp:
        work = Path(tmp)
        write_merge_template()
        template_path, archive = chalice_package(stage, work / "chalice")
        template = normalize_template(template_path, runtime)
        result = precompile(archive, work / "precompiled", runs)
        bad = forbidden_entries(result["zip"])
        if bad:
            raise PackageError(f"the zip holds files that must not ship: {bad[:20]}")
        shutil.copyfile(template_path, out / "sam.yaml")
        shutil.copyfile(result["zip"], out / "deployment.zip")
    report = {
        "stage": stage,
        "runtime": runtime,
        "python": sys.version.split()[0],
        "template": str(out / "sam.yaml"),
        "zip": str(out / "deployment.zip"),
        "zip_bytes": (out / "deployment.zip").stat().st_size,
        "functions": sorted(
            name
            for name, r in template["Resources"].items()
            if r.get("Type") == "AWS::Serverless::Function"
        ),
        **{k: v for k, v in result.items() if k != "zip"},
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    (out / "package-report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="prod", help="chalice stage (default: prod)")
    parser.add_argument("--out", default="dist", help="output folder (default: dist/)")
    parser.add_argument("--python", help="interpreter to build with (python3.12 or newer)")
    parser.add_argument("--runs", type=int, default=5, help="cold-import runs (min is taken)")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    try:
        if os.environ.get(IN_BUILD_VENV) != "1":
            python, version = find_python(args.python)
            log(f"building with {python} (Python {version[0]}.{version[1]})")
            venv_python = ensure_build_venv(python, version)
            env = dict(os.environ, **{IN_BUILD_VENV: "1"})
            command = [
                str(venv_python),
                str(Path(__file__).resolve()),
                "--stage",
                args.stage,
                "--out",
                str(out),
                "--runs",
                str(args.runs),
            ]
            return subprocess.run(command, env=env, check=False).returncode
        report = build(args.stage, out, args.runs)
    except PackageError as error:
        print(f"package: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"package: command failed ({error.returncode}): {error.cmd}", file=sys.stderr)
        return 1
    before, after = report["cold_import_seconds_before"], report["cold_import_seconds_after"]
    log(
        f"runtime {report['runtime']}, {report['pyc_files']} .pyc ({report['pyc_tag']}), "
        f"zip {report['zip_bytes'] / 1e6:.1f} MB"
    )
    log(
        f"cold `import app`: {before * 1000:.0f} ms without .pyc -> {after * 1000:.0f} ms with "
        f".pyc (min of {args.runs} fresh processes)"
    )
    log(
        f"wrote {report['template']}, {report['zip']}, {out / 'package-report.json'} "
        f"in {report['build_seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
