"""GET /console: the web console, static files packaged with the app (DESIGN.md decision 10).

No authorizer: the page itself asks for an admin token and calls /v1 with it. Only files
that exist in ``chalicelib/console`` with a text type are served (an allowlist built from
the folder, so no path from the URL ever reaches the file system), each with the same
security headers.
"""

from __future__ import annotations

import functools
from pathlib import Path

from chalice.app import Blueprint, Response

bp = Blueprint(__name__)

FOLDER = Path(__file__).resolve().parents[1] / "console"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


@functools.cache
def served_files() -> dict[str, Path]:
    """URL name (``app.js``, ``i18n/en.js``) -> file; read once, on the first console request."""
    return {
        path.relative_to(FOLDER).as_posix(): path
        for path in sorted(FOLDER.rglob("*"))
        if path.is_file() and path.suffix in CONTENT_TYPES
    }


def _serve(name: str) -> Response:
    path = served_files().get(name)
    if path is None:
        return Response(
            body="not found",
            status_code=404,
            headers={"Content-Type": "text/plain; charset=utf-8", **SECURITY_HEADERS},
        )
    return Response(
        body=path.read_text(encoding="utf-8"),
        status_code=200,
        headers={"Content-Type": CONTENT_TYPES[path.suffix], **SECURITY_HEADERS},
    )


@bp.route("/console", methods=["GET"])
def console_page() -> Response:
    # API Gateway and chalice route /console/ here too, but the page's relative references
    # (console/main.js) would then resolve under /console/console/: send the browser to
    # /console. Relative, so that a stage or base path in front (/prod/console/) is kept.
    sent_path = str((bp.current_request.context or {}).get("path") or "")
    if sent_path.endswith("/"):
        return Response(
            body="",
            status_code=308,
            headers={"Location": "../console", **SECURITY_HEADERS},
        )
    return _serve("index.html")


@bp.route("/console/{name}", methods=["GET"])
def console_file(name: str) -> Response:
    return _serve(name)


@bp.route("/console/{folder}/{name}", methods=["GET"])
def console_folder_file(folder: str, name: str) -> Response:
    return _serve(f"{folder}/{name}")
