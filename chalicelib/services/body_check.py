"""The last check, where the body is: on this deployment's own routes only (DESIGN decision 3).

API Gateway never hands the authorizer the body. For a form body the authorizer defers the
whole decision to here, where the form parameters can be signed; for any other body it has
verified the signature over Content-MD5, and here the body must match it.
"""

from __future__ import annotations

import hmac

from chalicelib.domain import signing
from chalicelib.domain import verification as rules
from chalicelib.domain.call_context import CallContext
from chalicelib.domain.verdicts import SUCCESS
from chalicelib.services.call_verification import Outcome, verify_call
from chalicelib.storage.calls.writes import mark_failed


def check_body(request: rules.CallRequest, body: bytes, context: CallContext) -> Outcome:
    """The call's final outcome given its body; ``context`` is what the authorizer allowed with.

    An allowed outcome carries the context the route must see (the authorizer's, or for a
    form body the one decided here).
    """
    if context.body_check:
        return verify_call(request, form=read_form(request, body))
    if context.auth_method != "signature":
        return Outcome(SUCCESS, context)
    declared = (request.header("content-md5") or "").strip()
    if (body or declared) and not hmac.compare_digest(
        declared.encode(), signing.content_md5(body).encode()
    ):
        mark_failed(context.record_ref, "INVALID_CONTENT_MD5")
        return Outcome("INVALID_CONTENT_MD5", CallContext(request_id=context.request_id))
    return Outcome(SUCCESS, context)


def read_form(request: rules.CallRequest, body: bytes) -> rules.FormBody:
    content_type = request.header("content-type")
    charset = signing.form_charset(content_type)
    if charset is None:
        return rules.FormBody(problem=f"Invalid Signature, unsupported charset in {content_type}")
    params = signing.parse_form_body(body, charset)
    if params is None:
        return rules.FormBody(problem=f"Invalid Signature, the form body is not valid {charset}")
    return rules.FormBody(tuple(params))
