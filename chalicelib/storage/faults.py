"""Telling a storage outage (throttling, DynamoDB's own errors, a lost connection) from a bug."""

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
            return current.response.get("Error", {}).get("Code") in UNAVAILABLE_CODES
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else current.__cause__
    return False
