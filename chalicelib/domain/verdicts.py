"""The verdict codes of CONTRACT.md 3.3 with Alibaba's error messages and our statuses."""

from __future__ import annotations

SUCCESS = "success"
FAILURE = "failure"
NONCE_USED = "NONCE_USED"  # a replay: its records are kept apart (storage/calls/items.py)

# code -> X-Ca-Error-Message (Alibaba's text)
MESSAGES: dict[str, str] = {
    "MISSING_CREDENTIALS": "Empty Signature",
    "INVALID_KEY": "Invalid AppKey",
    "INVALID_APPCODE": "Invalid AppCode",
    "KEY_DISABLED": "Unauthorized",
    "KEY_EXPIRED": "Unauthorized",
    "APP_DISABLED": "Unauthorized",
    "INVALID_TIMESTAMP": "Invalid Timestamp",
    "TIMESTAMP_EXPIRED": "Timestamp Expired",
    "INVALID_NONCE": "Invalid Nonce",
    "NONCE_USED": "Nonce Used",
    "UNSUPPORTED_SIGNATURE_METHOD": "Invalid Signature Method",
    "INVALID_SIGNATURE": "Invalid Signature",
    "DUPLICATE_PARAMETER": "Duplicate Parameter",
    "FORM_BODY_UNSUPPORTED": "Form Body Unsupported",
    "INVALID_CONTENT_MD5": "Invalid Content-MD5",
    "IP_NOT_ALLOWED": "Unauthorized",
    "API_NOT_FOUND": "API Not Found",
    "INVALID_STAGE": "Invalid Stage",
    "THROTTLED": "Throttled by APP Flow Control",
    "QUOTA_EXHAUSTED": "Quota Exhausted",
    "NOT_AUTHORIZED": "Unauthorized",
    "AUTHORIZATION_EXPIRED": "Unauthorized",
}

CODES = frozenset(MESSAGES)
RESULT_FILTERS = frozenset({SUCCESS, FAILURE, *CODES})
