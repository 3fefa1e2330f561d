"""The decision on one call, as a pure function of the request and what storage returned.

Values are NamedTuples rather than frozen dataclasses: a frozen dataclass costs ~1-5 ms to
create at import, and this module is on the authorizer's cold-start path (DESIGN budget).

The order of checks is the contract's (CONTRACT.md 3.3): the first failure decides. The one
check that needs a write, "nonce unused", is the caller's: ``decide`` says whether the nonce
must be consumed and the caller makes that conditional write together with the record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from chalicelib.domain import signing
from chalicelib.domain.ip_rules import compile_whitelist, is_ip_allowed
from chalicelib.domain.objects import (
    App,
    Authorization,
    Gateway,
    KeyPair,
    Route,
    key_target_prefix,
)
from chalicelib.domain.verdicts import SUCCESS

STAGES = ("TEST", "PRE", "RELEASE")
DEFAULT_STAGE = "RELEASE"
MAX_NONCE_LENGTH = 128
# Longer values of the headers a signature covers are refused, never cut: a cut value would
# be verified against something other than what the backend receives.
MAX_SIGNED_VALUE = 8192
ACCESS_KEY_PATTERN = re.compile(r"[A-Za-z0-9]{8,32}")
# Every signature must cover these, or a captured request could be replayed with fresh ones.
REQUIRED_SIGNED_HEADERS = ("x-ca-timestamp", "x-ca-nonce")
ANY_METHOD = "ANY"


class CallRequest(NamedTuple):
    method: str
    path: str  # the path the caller sent and signed (requestContext.path), decoded
    resource: str  # API Gateway's resource template, e.g. /orders/{id}
    headers: Mapping[str, str]  # lower-case names, one value each
    query: tuple[tuple[str, str], ...]
    source_ip: str
    request_id: str
    gateway_id: str = ""  # requestContext.apiId
    repeated_headers: frozenset[str] = frozenset()  # lower-case names sent more than once
    # The path without its stage: matched against the gateway's templates when ``resource`` is
    # the catch-all route (``route_matching.CATCH_ALL``).
    route_path: str = ""
    # What made the gateway's event unreadable (a query string that does not decode, an event
    # version not known): such a call is never allowed, whatever it carries.
    malformed: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def routes(self) -> tuple[str, str]:
        """The route keys that can match: the exact method first, then ``ANY``."""
        return (
            route_key(self.gateway_id, self.method, self.resource),
            route_key(self.gateway_id, ANY_METHOD, self.resource),
        )


class Credentials(NamedTuple):
    mode: str  # "signature" or "appcode"
    access_key: str = ""
    appcode: str = ""

    def __repr__(self) -> str:
        return f"Credentials(mode={self.mode!r}, access_key={self.access_key!r})"


class FormBody(NamedTuple):
    """A form body's parameters where the body is, or why they cannot be read."""

    params: tuple[tuple[str, str], ...] = ()
    problem: str = ""  # e.g. an unknown charset: the signature cannot be checked


class Facts(NamedTuple):
    """What the call carries and what storage found for it: all ``decide`` reads besides the
    request. ``None`` where nothing was found."""

    credentials: Credentials
    key: KeyPair | None
    app: App | None
    gateway: Gateway | None
    route: Route | None
    grants: Sequence[Authorization] = ()
    appcode_expires_at: str | None = None  # formatted time, for an AppCode call


class Clock(NamedTuple):
    """The time a call is decided at, once as a datetime and once formatted for comparisons
    with stored times, and how far a caller's timestamp may be from it."""

    now: datetime
    text: str
    timestamp_tolerance_seconds: int

    @property
    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)


class Decision(NamedTuple):
    verdict: str
    # Set once the signature verified: the nonce to consume together with the record.
    nonce: str | None = None
    # A form body on this deployment's own gateway: the authorizer cannot see the body, so the
    # whole decision is taken again by the middleware where it is (DESIGN decision 3).
    deferred_to_body: bool = False
    string_to_sign: str = ""
    # Replaces the verdict's usual X-Ca-Error-Message where it says more.
    message: str = ""
    # The authorization that allows the call (its limits are counted), once allowed.
    grant: Authorization | None = None
    secret_used: str = ""  # "current" or "previous" (a rotation's grace), once verified

    @property
    def allowed(self) -> bool:
        return self.verdict == SUCCESS


def route_key(gateway_id: str, method: str, resource: str) -> str:
    return f"{gateway_id} {method.upper()} {resource}"


def hash_appcode(appcode: str) -> str:
    return hashlib.sha256(appcode.encode("utf-8")).hexdigest()


def grant_targets(app_id: str, route: Route, key_id: str | None = None) -> list[str]:
    """The only authorization items that can cover a call to ``route``: the app's, and with
    ``key_id`` (a signed call) that key pair's own."""
    del app_id  # the app is the partition key; targets are the sort keys
    targets = [f"api#{route.api_id}", f"all#{route.account_id}"]
    if route.group:
        targets.append(f"group#{route.account_id}#{route.group}")
    if key_id:
        targets += [key_target_prefix(key_id) + target for target in targets]
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


def is_access_key(value: str) -> bool:
    """Whether ``value`` can be an access key at all (no lookup needed to refuse it)."""
    return ACCESS_KEY_PATTERN.fullmatch(value) is not None


def sent_no_credentials(request: CallRequest) -> bool:
    names = ("authorization", "x-ca-key", "x-ca-signature")
    return not any((request.header(name) or "").strip() for name in names)


def check_timestamp(value: str | None, now_ms: int, tolerance_seconds: int) -> str | None:
    text = (value or "").strip()
    # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
    if not text or len(text) > 16 or not text.isascii() or not text.isdigit():
        return "INVALID_TIMESTAMP"
    if abs(now_ms - int(text)) > tolerance_seconds * 1000:
        return "TIMESTAMP_EXPIRED"
    return None


def check_nonce(value: str | None) -> str | None:
    if not value or not value.strip() or len(value) > MAX_NONCE_LENGTH:
        return "INVALID_NONCE"
    return None


def requested_stage(request: CallRequest) -> str:
    return (request.header("x-ca-stage") or DEFAULT_STAGE).strip()


# The most specific authorization allows a call (and its limits count): one API, then a
# group, then all of a provider's APIs.
_SPECIFICITY = ("api#", "group#", "all#")


def check_grants(
    grants: Sequence[Authorization], stage: str, now: str, key_id: str | None = None
) -> tuple[str | None, Authorization | None]:
    """None and the authorization that allows the call, or the verdict and None.

    A key pair's own grant counts only for a call signed with that pair (``key_id``, its
    identity): never for the app's other pairs or its AppCodes.
    """
    covering = [
        grant
        for grant in grants
        if stage in grant.stages and (grant.key_id is None or grant.key_id == key_id)
    ]
    live = [grant for grant in covering if grant.expires_at is None or grant.expires_at > now]
    if live:
        return None, min(live, key=_specificity)
    return ("AUTHORIZATION_EXPIRED" if covering else "NOT_AUTHORIZED"), None


def _specificity(grant: Authorization) -> int:
    """API, then group, then all; at each, the key pair's own grant before the app's."""
    own = 0 if grant.key_id is not None else 1
    for rank, prefix in enumerate(_SPECIFICITY):
        if grant.covers.startswith(prefix):
            return 2 * rank + own
    return 2 * len(_SPECIFICITY)


def is_expired(expires_at: str | None, now: str) -> bool:
    return expires_at is not None and expires_at <= now


def signed_header_names(request: CallRequest) -> list[str]:
    return signing.parse_signed_header_names(request.header("x-ca-signature-headers") or "")


def string_to_sign(
    request: CallRequest,
    form: Sequence[tuple[str, str]] = (),
    names: Sequence[str] | None = None,
) -> str:
    """The server's StringToSign; ``form`` only where the body is (the middleware)."""
    names = signed_header_names(request) if names is None else names
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


def signed_headers_problem(request: CallRequest, listed: Sequence[str]) -> str | None:
    """What makes the signed headers unverifiable, as the denial's message, or None.

    A header the signature depends on that came more than once (API Gateway hands the
    backend one value, maybe another than the one checked), a required header the client
    did not sign, or a signed value too long to take whole.
    """
    listed_lower = {name.lower() for name in listed}
    for name in sorted(request.repeated_headers):
        if name.startswith("x-ca-") or name in signing.FIXED_HEADERS or name in listed_lower:
            return f"Invalid Signature, header {name} was sent more than once"
    for required in REQUIRED_SIGNED_HEADERS:
        if required not in listed_lower:
            return f"Invalid Signature, {required} must be listed in X-Ca-Signature-Headers"
    headers = request.headers
    for name in (*signing.FIXED_HEADERS, *listed_lower):
        if len(headers.get(name) or "") > MAX_SIGNED_VALUE:
            return f"Invalid Signature, header {name} is longer than {MAX_SIGNED_VALUE} characters"
    return None


def decide(
    request: CallRequest, facts: Facts, clock: Clock, form: FormBody | None = None
) -> Decision:
    """Every check after "credentials present", in the contract's order.

    ``form`` is the form body where the body is (the middleware); None in the authorizer,
    which never sees a body.
    """
    refused = _check_caller(request, facts, clock)
    if refused:
        return Decision(refused)
    if request.malformed:
        # Refused before the signature: the nonce stays unused.
        return Decision("INVALID_SIGNATURE", message=f"Invalid Signature, {request.malformed}")
    nonce: str | None = None
    secret_used = ""
    if facts.credentials.mode == "signature":
        assert facts.key is not None
        verified = _verify_signature(request, facts.key, facts.gateway, form, clock.text)
        if not verified.allowed or verified.deferred_to_body:
            return verified
        nonce = (request.header("x-ca-nonce") or "").strip()
        secret_used = verified.secret_used
    key_id = key_scope(facts.credentials, facts.key)
    verdict, grant = _check_api(
        request, facts.gateway, facts.route, facts.grants, clock.text, key_id
    )
    return Decision(verdict, nonce=nonce, grant=grant, secret_used=secret_used)


def key_scope(credentials: Credentials, key: KeyPair | None) -> str | None:
    """Whose own grants may cover the call: the identity of the key pair that signed it; none
    for an AppCode call (a key pair's grant is never an AppCode's)."""
    return key.identity if key is not None and credentials.mode == "signature" else None


def _check_caller(request: CallRequest, facts: Facts, clock: Clock) -> str | None:
    """Key (or AppCode) known, key and app enabled, key not expired, timestamp, nonce
    well-formed, caller IP: the checks before the signature, the verdict of the first that
    fails."""
    key, app = facts.key, facts.app
    signed = facts.credentials.mode == "signature"
    if signed and key is None:
        return "INVALID_KEY"
    if app is None:
        return "INVALID_KEY" if signed else "INVALID_APPCODE"
    if key is not None and not key.enabled:
        return "KEY_DISABLED"
    if not app.enabled:
        return "APP_DISABLED"
    if is_expired(key.expires_at if key is not None else facts.appcode_expires_at, clock.text):
        return "KEY_EXPIRED"
    if signed:
        failure = check_timestamp(
            request.header("x-ca-timestamp"), clock.now_ms, clock.timestamp_tolerance_seconds
        )
        failure = failure or check_nonce(request.header("x-ca-nonce"))
        if failure:
            return failure
    if app.whitelist:  # empty: any address
        networks = app.networks or compile_whitelist(app.whitelist)
        # Entries that compile to nothing allow nothing (is_ip_allowed reads () as "any").
        if not networks or not is_ip_allowed(request.source_ip, networks):
            return "IP_NOT_ALLOWED"
    if key is not None and key.whitelist:  # the key pair's own, besides the app's
        networks = key.networks or compile_whitelist(key.whitelist)
        if not networks or not is_ip_allowed(request.source_ip, networks):
            return "IP_NOT_ALLOWED"
    return None


def _verify_signature(
    request: CallRequest,
    key: KeyPair,
    gateway: Gateway | None,
    form: FormBody | None,
    now_text: str,
) -> Decision:
    """Signature method, duplicate parameters, then the signature itself (SUCCESS if it holds).

    Nothing after this may run for a request whose signature did not verify: later verdicts
    would tell a key holder without the secret what the key is authorized for.
    """
    method = signature_method(request)
    if method not in signing.SIGNATURE_METHODS:
        return Decision("UNSUPPORTED_SIGNATURE_METHOD")
    params = form.params if form else ()
    duplicate = signing.duplicate_parameter(request.query, params)
    if duplicate is not None:
        return Decision("DUPLICATE_PARAMETER", message=f"Duplicate Parameter: {duplicate}")
    names = signed_header_names(request)
    problem = signed_headers_problem(request, names) or (form.problem if form else "")
    if problem:
        return Decision("INVALID_SIGNATURE", message=problem)
    if form is None and signing.is_form_content_type(request.header("content-type")):
        # Form parameters are signed but live in the body, which the authorizer never sees.
        if gateway is not None and gateway.checks_bodies:
            return Decision(SUCCESS, deferred_to_body=True)
        return Decision("FORM_BODY_UNSUPPORTED")
    text = string_to_sign(request, params, names)
    provided = request.header("x-ca-signature") or ""
    # A pair whose secret was not opened (read for the admin side) verifies nothing.
    if key.secret and signing.signature_matches(provided, text, key.secret, method):
        return Decision(SUCCESS, string_to_sign=text, secret_used="current")
    previous = key.previous_secret
    grace_ends = key.previous_secret_expires_at
    in_grace = previous and grace_ends and not is_expired(grace_ends, now_text)
    if in_grace and signing.signature_matches(provided, text, previous or "", method):
        return Decision(SUCCESS, string_to_sign=text, secret_used="previous")
    return Decision("INVALID_SIGNATURE", string_to_sign=text)


def registered_route(gateway: Gateway | None, route: Route | None) -> Route | None:
    """The route, if it is registered on a gateway bound to the account that registered it."""
    if gateway is None or route is None or route.account_id != gateway.account_id:
        return None
    return route


def _check_api(
    request: CallRequest,
    gateway: Gateway | None,
    route: Route | None,
    grants: Sequence[Authorization],
    now_text: str,
    key_id: str | None = None,
) -> tuple[str, Authorization | None]:
    if registered_route(gateway, route) is None:
        return "API_NOT_FOUND", None
    stage = requested_stage(request)
    if stage not in STAGES:
        return "INVALID_STAGE", None
    failure, grant = check_grants(grants, stage, now_text, key_id)
    return failure or SUCCESS, grant
