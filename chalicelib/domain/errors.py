"""One family of domain errors; the HTTP edge maps each class to a status once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the services raise on purpose."""

    code = "DomainError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``field`` names the offending field."""

    code = "ValidationError"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class NotAuthenticated(DomainError):
    code = "Unauthenticated"


class Forbidden(DomainError):
    code = "Forbidden"


class NotFound(DomainError):
    code = "NotFound"


class Conflict(DomainError):
    code = "Conflict"


class LimitExceeded(Conflict):
    code = "LimitExceeded"


class Unavailable(DomainError):
    """Storage failed after the client's retries; the caller may try again."""

    code = "ServiceUnavailable"
