"""Settings read once from the environment (stdlib only: the authorizer imports this)."""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

TABLES = (
    "accounts",
    "tokens",
    "apps",
    "keys",
    "appcodes",
    "gateways",
    "apis",
    "routes",
    "authorizations",
    "counters",
    "calls",
    "usage",
    "audit",
    "notices",
)


class Settings(NamedTuple):
    region: str
    dynamodb_endpoint: str | None
    kms_endpoint: str | None
    table_prefix: str
    kms_key_id: str
    cache_ttl_seconds: float
    timestamp_tolerance_seconds: int
    nonce_ttl_seconds: int
    record_retention_days: int
    audit_retention_days: int

    def table_name(self, name: str) -> str:
        return f"{self.table_prefix}{name}"


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw.strip() else default


@functools.cache
def settings() -> Settings:
    return Settings(
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
        kms_endpoint=os.environ.get("KMS_ENDPOINT") or None,
        table_prefix=os.environ.get("APIAUTH_TABLE_PREFIX", "apiauth-"),
        kms_key_id=os.environ.get("APIAUTH_KMS_KEY_ID", "alias/apiauth"),
        cache_ttl_seconds=_number("APIAUTH_CACHE_TTL_SECONDS", 10.0),
        timestamp_tolerance_seconds=int(_number("APIAUTH_TIMESTAMP_TOLERANCE_SECONDS", 900)),
        nonce_ttl_seconds=int(_number("APIAUTH_NONCE_TTL_SECONDS", 900)),
        record_retention_days=int(_number("APIAUTH_RECORD_RETENTION_DAYS", 90)),
        audit_retention_days=int(_number("APIAUTH_AUDIT_RETENTION_DAYS", 365)),
    )
