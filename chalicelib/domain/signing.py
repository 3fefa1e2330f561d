"""Alibaba Cloud API Gateway APP signatures (CONTRACT 3.1), as pure functions."""

from __future__ import annotations

import base64
import codecs
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
# The headers with a fixed slot in StringToSign.
FIXED_HEADERS: tuple[str, ...] = ("accept", "content-md5", "content-type", "date")
UNSIGNABLE_HEADERS: frozenset[str] = frozenset(
    {"x-ca-signature", "x-ca-signature-headers", *FIXED_HEADERS}
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


def duplicate_parameter(
    query: Iterable[tuple[str, str]], form: Iterable[tuple[str, str]] = ()
) -> str | None:
    """The first name sent with two different values (CONTRACT 3.1), else None.

    The signature can cover only one value per name, while a backend may read another
    (API Gateway and Chalice hand it the last), so such a request is refused, not signed.
    """
    seen: dict[str, str] = {}
    for key, value in (*query, *form):
        if seen.setdefault(key, value) != value:
            return key
    return None


def canonical_resource(
    path: str,
    query: Iterable[tuple[str, str]] = (),
    form: Iterable[tuple[str, str]] = (),
) -> str:
    """Path + sorted parameters; a name repeated with the same value is signed once.

    Callers refuse differing repeats first (``duplicate_parameter``).
    """
    params = dict(query) | dict(form)
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
    fixed = [method.upper(), *(headers.get(name, "") for name in FIXED_HEADERS)]
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


# Charsets a form body may declare: the text encodings clients actually send. Anything else
# (an unknown name, or a codec such as idna that is not a charset) is refused, not guessed.
FORM_CHARSETS: frozenset[str] = frozenset(
    {"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252", "gbk", "gb2312", "gb18030", "big5"}
)


def form_charset(content_type: str | None) -> str | None:
    """The declared charset's codec name (UTF-8 if none), or None when it is not usable."""
    charset = "utf-8"
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or "utf-8"
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        return None
    return codec if codec in FORM_CHARSETS else None


def parse_form_body(body: bytes, charset: str = "utf-8") -> list[tuple[str, str]] | None:
    """The form's parameters, decoded; None when the body is not valid in ``charset``.

    Strict decoding: with replacement characters, two different bodies could decode to
    the same signed parameters while the backend reads the other bytes.
    """
    try:
        text = body.decode(charset)
        return parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict")
    except (UnicodeError, ValueError, LookupError):
        return None


def string_to_sign_for_error(string_to_sign: str) -> str:
    return string_to_sign.replace("\n", "#")
