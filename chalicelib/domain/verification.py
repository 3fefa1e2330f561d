"""The decision on one call, as a pure function of the request and what storage returned.

Values are NamedTuples rather than frozen dataclasses: a frozen dataclass costs ~1-5 ms to
create at import, and this module is on the authorizer's cold-start path (DESIGN budget).

The order of checks is the contract's (CONTRACT.md 3.3): the first failure decides. The one
check that needs a write, "nonce unused", is the caller's: ``decide`` says whether the nonce
must be consumed and the caller makes that conditional write together with the record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from ipaddress import IPv4Network
from typing import NamedTuple

from chalicelib.domain import signing
from chalicelib.domain.ip_rules import compile_whitelist, is_ip_allowed
from chalicelib.domain.verdicts import SUCCESS

STAGES = ("TEST", "PRE", "RELEASE")
DEFAULT_STAGE = "RELEASE"
MAX_NONCE_LENGTH = 128


class CallRequest(NamedTuple):
    method: str
    path: str
    resource: str
    headers: Mapping[str, str]  # lower-case names
    query: tuple[tuple[str, str], ...]
    source_ip: str
    request_id: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def route(self) -> str:
        return route_key(self.method, self.resource)


class KeyRecord(NamedTuple):
    access_key: str
    app_id: str
    account_id: str
    enabled: bool
    secret: str

    def __repr__(self) -> str:
        return f"KeyRecord(access_key={self.access_key!r}, app_id={self.app_id!r}, secret=<hidden>)"


class AppRecord(NamedTuple):
    app_id: str
    account_id: str
    enabled: bool
    whitelist: tuple[str, ...]
    extension_json: str
    # Parsed once when the record is loaded (and cached), not on every call.
    networks: tuple[IPv4Network, ...] = ()


class RouteRecord(NamedTuple):
    api_id: str
    account_id: str
    group: str | None


class Grant(NamedTuple):
    target: str
    stages: tuple[str, ...]
    expires_at: str | None  # formatted time, compared as strings (fixed-width UTC)


class Credentials(NamedTuple):
    mode: str  # "signature" or "appcode"
    access_key: str = ""
    appcode: str = ""

    def __repr__(self) -> str:
        return f"Credentials(mode={self.mode!r}, access_key={self.access_key!r})"


class Decision(NamedTuple):
    verdict: str
    # Set once the signature verified: the nonce to consume together with the record.
    nonce: str | None = None
    # Form bodies cannot be signed-checked without the body: the middleware finishes the job.
    body_check: str = ""
    string_to_sign: str = ""

    @property
    def allowed(self) -> bool:
        return self.verdict == SUCCESS


def route_key(method: str, resource: str) -> str:
    return f"{method.upper()} {resource}"


def hash_appcode(appcode: str) -> str:
    return hashlib.sha256(appcode.encode("utf-8")).hexdigest()


def grant_targets(app_id: str, route: RouteRecord) -> list[str]:
    """The only authorization items that can cover a call to ``route``."""
    del app_id  # the app is the partition key; targets are the sort keys
    targets = [f"api#{route.api_id}", f"all#{route.account_id}"]
    if route.group:
        targets.append(f"group#{route.account_id}#{route.group}")
    return targets


def read_credentials(request: CallRequest) -> Credentials | str:
    """The credentials the call carries, or the verdict code when they are incomplete."""
    scheme, _, code = (request.header("authorization") or "").strip().partition(" ")
    if scheme.upper() == "APPCODE":
        code = code.strip()
        return Credentials("appcode", appcode=code) if code else "INVALID_APPCODE"
    key = (request.header("x-ca-key") or "").strip()
    signature = (request.header("x-ca-signature") or "").strip()
    if key and signature:
        return Credentials("signature", access_key=key)
    return "MISSING_CREDENTIALS"


def sent_no_credentials(request: CallRequest) -> bool:
    names = ("authorization", "x-ca-key", "x-ca-signature")
    return not any((request.header(name) or "").strip() for name in names)


def check_timestamp(value: str | None, now_ms: int, tolerance_seconds: int) -> str | None:
    if not value or not value.strip().isdigit() or len(value.strip()) > 16:
        return "INVALID_TIMESTAMP"
    if abs(now_ms - int(value.strip())) > tolerance_seconds * 1000:
        return "TIMESTAMP_EXPIRED"
    return None


def check_nonce(value: str | None) -> str | None:
    if not value or not value.strip() or len(value) > MAX_NONCE_LENGTH:
        return "INVALID_NONCE"
    return None


def requested_stage(request: CallRequest) -> str:
    return (request.header("x-ca-stage") or DEFAULT_STAGE).strip()


def check_grants(grants: Sequence[Grant], stage: str, now: str) -> str | None:
    covering = [grant for grant in grants if stage in grant.stages]
    if any(grant.expires_at is None or grant.expires_at > now for grant in covering):
        return None
    return "AUTHORIZATION_EXPIRED" if covering else "NOT_AUTHORIZED"


def string_to_sign(request: CallRequest, form: Sequence[tuple[str, str]] = ()) -> str:
    """The server's StringToSign; ``form`` only where the body is (the middleware)."""
    names = signing.parse_signed_header_names(request.header("x-ca-signature-headers") or "")
    return signing.build_string_to_sign(
        method=request.method,
        path=request.path,
        headers=request.headers,
        signed_header_names=names,
        query=request.query,
        form=form,
    )


def signature_method(request: CallRequest) -> str:
    return (request.header("x-ca-signature-method") or "HmacSHA256").strip()


def decide(
    request: CallRequest,
    credentials: Credentials,
    key: KeyRecord | None,
    app: AppRecord | None,
    route: RouteRecord | None,
    grants: Sequence[Grant],
    now: datetime,
    now_text: str,
    timestamp_tolerance_seconds: int,
) -> Decision:
    """Every check after "credentials present", in the contract's order."""
    signed = credentials.mode == "signature"
    if signed and key is None:
        return Decision("INVALID_KEY")
    if app is None:
        return Decision("INVALID_KEY" if signed else "INVALID_APPCODE")
    if key is not None and not key.enabled:
        return Decision("KEY_DISABLED")
    if not app.enabled:
        return Decision("APP_DISABLED")
    nonce: str | None = None
    body_check = ""
    text = ""
    if signed:
        now_ms = int(now.timestamp() * 1000)
        failure = check_timestamp(
            request.header("x-ca-timestamp"), now_ms, timestamp_tolerance_seconds
        )
        failure = failure or check_nonce(request.header("x-ca-nonce"))
        if failure:
            return Decision(failure)
    networks = app.networks or compile_whitelist(app.whitelist)
    if not is_ip_allowed(request.source_ip, networks):
        return Decision("IP_NOT_ALLOWED")
    if signed:
        assert key is not None
        method = signature_method(request)
        if method not in signing.SIGNATURE_METHODS:
            return Decision("UNSUPPORTED_SIGNATURE_METHOD")
        text = string_to_sign(request)
        if signing.is_form_content_type(request.header("content-type")):
            # The form parameters are in the body, which the authorizer never sees: the
            # signature and then the nonce are checked where the body is (the middleware).
            body_check = "form"
        elif not signing.signature_matches(
            request.header("x-ca-signature") or "", text, key.secret, method
        ):
            return Decision("INVALID_SIGNATURE", string_to_sign=text)
        else:
            nonce = (request.header("x-ca-nonce") or "").strip()
    verdict = _check_api(request, route, grants, now_text)
    return Decision(verdict, nonce=nonce, body_check=body_check, string_to_sign=text)


def _check_api(
    request: CallRequest, route: RouteRecord | None, grants: Sequence[Grant], now_text: str
) -> str:
    if route is None:
        return "API_NOT_FOUND"
    stage = requested_stage(request)
    if stage not in STAGES:
        return "INVALID_STAGE"
    return check_grants(grants, stage, now_text) or SUCCESS
