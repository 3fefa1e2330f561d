"""An environment in which nothing can reach real AWS: fake credentials, a region, no profile,
no instance metadata and no inherited endpoints. Tests, benchmarks and the e2e server use it."""

from __future__ import annotations

from collections.abc import MutableMapping

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "offline-fake",
    "AWS_SECRET_ACCESS_KEY": "offline-fake",
    "AWS_SESSION_TOKEN": "offline-fake",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
INHERITED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "DYNAMODB_ENDPOINT", "KMS_ENDPOINT")


def use_offline_aws(environ: MutableMapping[str, str], **settings: str) -> None:
    """Make ``environ`` offline, then apply ``settings`` (e.g. APIAUTH_TABLE_PREFIX)."""
    for name in INHERITED:
        environ.pop(name, None)
    environ.update(FAKE_AWS)
    environ.update(settings)


def default_to_fake_aws(environ: MutableMapping[str, str]) -> None:
    """Fake credentials only where none are set (the local run may point DYNAMODB_ENDPOINT at a
    DynamoDB that wants its own); never a profile, never instance metadata."""
    environ.pop("AWS_PROFILE", None)
    for name, value in FAKE_AWS.items():
        if name != "AWS_SESSION_TOKEN":  # a fake token would spoil real keys set by the user
            environ.setdefault(name, value)
    environ["AWS_EC2_METADATA_DISABLED"] = "true"
