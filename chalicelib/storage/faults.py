"""Telling a storage outage (throttling, DynamoDB's own errors, any 5xx, a lost connection) from
a bug."""

from __future__ import annotations

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

# Error codes that say "try again later", not "this request is wrong".
UNAVAILABLE_CODES = frozenset(
    {
        "InternalServerError",
        "ServiceUnavailable",
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "TransactionInProgressException",
        "KMSInternalException",
    }
)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what it wraps: PynamoDB keeps botocore's as ``cause``) is an outage
    of DynamoDB or KMS after the client's retries."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (BotocoreConnectionError, HTTPClientError)):
            return True
        if isinstance(current, ClientError):
            code = current.response.get("Error", {}).get("Code")
            return code in UNAVAILABLE_CODES or _is_5xx(current)
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else current.__cause__
    return False


def _is_5xx(error: ClientError) -> bool:
    """Any 5xx is the service failing, whatever its body. A 5xx that is not DynamoDB's JSON
    error (moto's HTML page, a proxy's) gets its status as its code from botocore, and PynamoDB's
    copy of the error keeps that code but not the status."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if not isinstance(status, int):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(code) if code.isdigit() and len(code) == 3 else 0
    return 500 <= status <= 599
