"""Alibaba Cloud API Gateway APP signatures (CONTRACT 3.1), as pure functions."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import parse_qsl

SIGNATURE_METHODS: dict[str, Callable[[], hashlib._Hash]] = {
    "HmacSHA256": hashlib.sha256,
    "HmacSHA1": hashlib.sha1,
}

# These either carry the signature itself or already have a fixed slot in StringToSign;
# Alibaba's gateway ignores them in X-Ca-Signature-Headers, so a client listing them
# must still verify.
UNSIGNABLE_HEADERS: frozenset[str] = frozenset(
    {"x-ca-signature", "x-ca-signature-headers", "accept", "content-md5", "content-type", "date"}
)

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def parse_signed_header_names(value: str) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for raw in value.split(","):
        name = raw.strip()
        lowered = name.lower()
        if not name or lowered in UNSIGNABLE_HEADERS or lowered in seen:
            continue
        seen.add(lowered)
        # The client's spelling is part of what it signed, so it is kept as written.
        names.append(name)
    return names


def _first_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in pairs:
        values.setdefault(key, value)
    return values


def canonical_resource(
    path: str,
    query: Iterable[tuple[str, str]] = (),
    form: Iterable[tuple[str, str]] = (),
) -> str:
    # A key sent both ways is signed with its form value, as Alibaba's Java and Python demos do.
    params = _first_values(query) | _first_values(form)
    if not params:
        return path
    joined = "&".join(
        key if value == "" else f"{key}={value}" for key, value in sorted(params.items())
    )
    return f"{path}?{joined}"


def build_string_to_sign(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    signed_header_names: Sequence[str],
    query: Iterable[tuple[str, str]] = (),
    form: Iterable[tuple[str, str]] = (),
) -> str:
    fixed = [
        method.upper(),
        headers.get("accept", ""),
        headers.get("content-md5", ""),
        headers.get("content-type", ""),
        headers.get("date", ""),
    ]
    # A listed header the request lacks is signed as empty rather than refused here:
    # the signature comparison is what decides, and the client signed the same empty value.
    signed = "".join(
        f"{name}:{headers.get(name.lower(), '')}\n" for name in sorted(signed_header_names)
    )
    return "\n".join(fixed) + "\n" + signed + canonical_resource(path, query, form)


def compute_signature(string_to_sign: str, secret: str, method: str = "HmacSHA256") -> str:
    digestmod = SIGNATURE_METHODS.get(method)
    if digestmod is None:
        raise ValueError(f"unsupported signature method {method!r}")
    # Header and parameter values reach us already decoded and may hold lone surrogates;
    # surrogatepass keeps such a request a signature mismatch instead of a crash.
    message = string_to_sign.encode("utf-8", errors="surrogatepass")
    digest = hmac.new(secret.encode("utf-8"), message, digestmod).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(provided: str, string_to_sign: str, secret: str, method: str) -> bool:
    if method not in SIGNATURE_METHODS:
        return False
    expected = compute_signature(string_to_sign, secret, method).encode("ascii")
    # The provided value comes straight from a header; surrogatepass lets lone surrogates
    # encode instead of raising, and they can never equal a base64 string anyway.
    return hmac.compare_digest(provided.encode("utf-8", errors="surrogatepass"), expected)


def content_md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode("ascii")


def is_form_content_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == FORM_CONTENT_TYPE


def parse_form_body(body: bytes, charset: str = "utf-8") -> list[tuple[str, str]]:
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:
        # The charset comes from the client's Content-Type; an unknown one falls back to
        # UTF-8 so that the signature check, not a crash, decides the request.
        charset = "utf-8"
        text = body.decode(charset, errors="replace")
    return parse_qsl(text, keep_blank_values=True, encoding=charset, errors="replace")


def string_to_sign_for_error(string_to_sign: str) -> str:
    return string_to_sign.replace("\n", "#")
