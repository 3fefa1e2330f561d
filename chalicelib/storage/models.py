"""PynamoDB models: one table per kind of item. Table names and endpoint come from settings.

The authorizer's hot path does not import this module (PynamoDB costs cold-start time); it
reads and writes the same items with a bare botocore client (``storage/credentials.py``,
``storage/call_records.py``). The items of the tables both sides read are encoded and decoded
by ``storage/items.py`` (stdlib only); writes build these models from its items, and
``tests/unit/test_items.py`` checks that each model writes those items back unchanged.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.storage.clients import MAX_POOL_CONNECTIONS
from chalicelib.storage.items import ACCOUNTS_LISTED, previous_secret_key


def _meta(table: str, **extra: Any) -> Any:
    config = settings()
    attributes: dict[str, Any] = {
        "table_name": config.table_name(table),
        "region": config.region,
        "host": config.dynamodb_endpoint,
        "billing_mode": "PAY_PER_REQUEST",
        "max_pool_connections": MAX_POOL_CONNECTIONS,
        **extra,
    }
    return type("Meta", (), attributes)


def _index(
    name: str, hash_attribute: str, range_attribute: str | None = None, keys_only: bool = False
) -> Any:
    """A global secondary index keyed by these (text) attributes, projecting every one (or,
    ``keys_only``, the keys alone)."""
    projection = KeysOnlyProjection() if keys_only else AllProjection()
    attributes: dict[str, Any] = {
        "Meta": type("Meta", (), {"index_name": name, "projection": projection}),
        hash_attribute: UnicodeAttribute(hash_key=True),
    }
    if range_attribute is not None:
        attributes[range_attribute] = UnicodeAttribute(range_key=True)
    return type(f"Index_{name}", (GlobalSecondaryIndex,), attributes)()


class AccountModel(Model):
    Meta = _meta("accounts")
    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    key_count = NumberAttribute(default=0)
    listed = UnicodeAttribute(default=ACCOUNTS_LISTED)
    all = _index("all", "listed", "account_id")  # every account, for the notifier: a Query


class TokenModel(Model):
    Meta = _meta("tokens")
    token_hash = UnicodeAttribute(hash_key=True)
    token_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    name = UnicodeAttribute()
    is_root = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    by_account = _index("by_account", "account_id", "token_id")


class AppModel(Model):
    Meta = _meta("apps")
    app_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    tags = MapAttribute[str, str](default=dict)
    extension = MapAttribute[str, str](default=dict)
    enabled = BooleanAttribute(default=True)
    whitelist = ListAttribute[str](of=UnicodeAttribute, default=list)
    default_access_key = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    last_used_at = UnicodeAttribute(null=True)
    call_count = NumberAttribute(default=0)
    by_account = _index("by_account", "account_id", "app_id")


class KeyModel(Model):
    Meta = _meta("keys")
    access_key = UnicodeAttribute(hash_key=True)
    app_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    enabled = BooleanAttribute(default=True)
    is_default = BooleanAttribute(default=False)
    # Envelope encryption: the secret sealed with AES-GCM under a KMS data key.
    secret_sealed = BinaryAttribute(legacy_encoding=False)
    data_key_sealed = BinaryAttribute(legacy_encoding=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    last_used_at = UnicodeAttribute(null=True)
    call_count = NumberAttribute(default=0)
    expires_at = UnicodeAttribute(null=True)  # past it: KEY_EXPIRED (the item stays)
    # During a rotation's grace; the previous secret itself is a PreviousSecretModel item.
    previous_secret_expires_at = UnicodeAttribute(null=True)
    # The pair's identity, kept through a change of access key ("": stored before it had one).
    key_id = UnicodeAttribute(default="")
    whitelist = ListAttribute[str](of=UnicodeAttribute, default=list)  # the pair's own
    # The table's TTL attribute: set only on PreviousSecretModel items, never on key pairs.
    purge_at = TTLAttribute(null=True)
    by_app = _index("by_app", "app_id", "access_key")


class PreviousSecretModel(Model):
    """The secret a key pair had before its last reset, while the rotation's grace lasts.

    Stored in the keys table under ``<access_key>#previous`` (no access key has a ``#``), so
    the authorizer fetches it in the same batch as the key; TTL removes it after the grace
    even if nobody calls. Not in ALL_MODELS: its table is KeyModel's.
    """

    Meta = _meta("keys")
    access_key = UnicodeAttribute(hash_key=True)
    secret_sealed = BinaryAttribute(legacy_encoding=False)
    data_key_sealed = BinaryAttribute(legacy_encoding=False)
    expires_at = UnicodeAttribute()
    purge_at = TTLAttribute()

    @staticmethod
    def key_of(access_key: str) -> str:
        return previous_secret_key(access_key)


class AppCodeModel(Model):
    Meta = _meta("appcodes")
    code_hash = UnicodeAttribute(hash_key=True)
    appcode_id = UnicodeAttribute()
    app_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)
    by_id = _index("by_id", "appcode_id")
    by_app = _index("by_app", "app_id", "appcode_id")


class GatewayModel(Model):
    """An API Gateway REST API (``requestContext.apiId``) bound to the account that owns it."""

    Meta = _meta("gateways")
    gateway_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    base_url = UnicodeAttribute(null=True)
    # This deployment's own REST API (or the local run): its middleware sees request bodies.
    checks_bodies = BooleanAttribute(default=False)
    type = UnicodeAttribute(default="rest")  # "rest" or "http" (an HTTP API)
    simple_responses = BooleanAttribute(default=True)
    # APIs registered on it, raised and lowered in their transactions: a gateway changes
    # hands or goes only at 0, decided by DynamoDB, not by a read before the write.
    api_count = NumberAttribute(default=0)
    listed = UnicodeAttribute(default="gateway")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    by_account = _index("by_account", "account_id", "gateway_id")
    all = _index("all", "listed", "gateway_id")  # every gateway, for root: a Query, not a Scan


class ApiModel(Model):
    Meta = _meta("apis")
    api_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    gateway_id = UnicodeAttribute()
    name = UnicodeAttribute()
    method = UnicodeAttribute()
    path = UnicodeAttribute()
    group = UnicodeAttribute(null=True)
    description = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    by_account = _index("by_account", "account_id", "api_id")
    by_gateway = _index("by_gateway", "gateway_id", "api_id")


class RouteModel(Model):
    """``"<gateway_id> GET /orders/{id}"`` -> the API registered for it; unique per gateway."""

    Meta = _meta("routes")
    route = UnicodeAttribute(hash_key=True)
    gateway_id = UnicodeAttribute()
    api_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    group = UnicodeAttribute(null=True)


class AuthorizationModel(Model):
    """Keyed by app and target so the authorizer can fetch the three candidates in one batch.

    ``target`` is ``api#<api_id>``, ``group#<provider>#<group>`` or ``all#<provider>``.
    """

    Meta = _meta("authorizations")
    app_id = UnicodeAttribute(hash_key=True)
    target = UnicodeAttribute(range_key=True)
    authorization_id = UnicodeAttribute()
    provider_account_id = UnicodeAttribute()
    app_account_id = UnicodeAttribute()
    api_id = UnicodeAttribute(null=True)
    group = UnicodeAttribute(null=True)
    stages = ListAttribute[str](of=UnicodeAttribute)
    expires_at = UnicodeAttribute(null=True)
    # {"per_minute": 10, ...}: counted per UTC window in CounterModel items.
    limits = MapAttribute[str, int](default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    key_id = UnicodeAttribute(null=True)  # a key pair's own grant: target key#<key_id>#...
    by_id = _index("by_id", "authorization_id")
    by_provider = _index("by_provider", "provider_account_id", "authorization_id")


class CounterModel(Model):
    """The calls counted against one authorization's limits, keyed by the authorization id.

    Besides its key the item holds, per window, the start of the window it counts and the
    calls in it: ``s_<window>`` and ``c_<window>`` (``s_per_minute``, ``c_per_minute``), all
    raised by one conditional update of an allowed call (``storage/calls/counting.py``); a
    model cannot declare attributes whose names are data, so they are not listed here. Read by
    the admin API for ``used``; TTL removes it a day after its longest window last counted.
    """

    Meta = _meta("counters", retain=False)  # short-lived rows: deleted with the stack
    counter_key = UnicodeAttribute(hash_key=True)
    expires_at = TTLAttribute()


class CallRecordModel(Model):
    """One item per decision, seen by up to two accounts (the API's owner, the app's owner).

    ``id`` is ``n#<access_key>#<nonce>`` for a call whose signature was verified: the record is
    its nonce, so one conditional put both refuses a replay and writes the record
    (``nonce_until`` says until when the nonce counts as used). A record kept when its nonce
    was used again is ``m#<access_key>#<nonce>#<sk>``; other records are ``r#<request_id>``.
    ``sk`` is ``<time>#<request_id>``: every index sorts newest first on a reverse query, and
    a page boundary stays put while new records arrive.

    The indexes are sparse, so a call writes only those it needs (``storage/call_records.py``
    says which query reads which): ``viewer`` / ``other_viewer`` are ``<account>#success``,
    ``#failure`` or ``#replay``; ``idx_app`` is set on every record with an app, ``idx_api``
    on all but replays. ``idx_request`` (``by_request``, keys only) finds a refusal keyed by
    its nonce by its request id; a record keyed ``r#<request_id>`` is found by its key, an
    allowed call's among its viewer's successes (``services/call_records``).
    """

    # "calls", not the former "call-records": the key schema changed, and a stack made before
    # keeps the old table (Retain) while CloudFormation creates this one beside it.
    Meta = _meta("calls", stream_view_type="NEW_AND_OLD_IMAGES")
    id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute()
    viewer = UnicodeAttribute()
    other_viewer = UnicodeAttribute(null=True)
    idx_app = UnicodeAttribute(null=True)
    idx_api = UnicodeAttribute(null=True)
    # The request id of a refusal not keyed by it (a verified call's, keyed by its nonce).
    idx_request = UnicodeAttribute(null=True)
    nonce_until = NumberAttribute(null=True)  # epoch seconds
    moved = BooleanAttribute(null=True)  # a copy kept when its nonce was used again, later
    request_id = UnicodeAttribute()
    time = UnicodeAttribute()
    method = UnicodeAttribute()
    path = UnicodeAttribute()
    stage = UnicodeAttribute(null=True)
    api_id = UnicodeAttribute(null=True)
    app_id = UnicodeAttribute(null=True)
    access_key = UnicodeAttribute(null=True)
    auth_method = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    result = UnicodeAttribute()
    latency_ms = NumberAttribute(null=True)
    caller_account_id = UnicodeAttribute(null=True)
    provider_account_id = UnicodeAttribute(null=True)
    secret = UnicodeAttribute(null=True)  # "current" or "previous" (a rotation's grace)
    retry_after = NumberAttribute(null=True)  # THROTTLED / QUOTA_EXHAUSTED
    expires_at = TTLAttribute(null=True)
    by_viewer = _index("by_viewer", "viewer", "sk")
    by_other_viewer = _index("by_other_viewer", "other_viewer", "sk")
    by_app = _index("by_app", "idx_app", "sk")
    by_api = _index("by_api", "idx_api", "sk")
    by_request = _index("by_request", "idx_request", keys_only=True)


class UsageModel(Model):
    """Pre-aggregated counts per scope and time bucket, kept by the call-record stream.

    Besides its keys an item holds one number per verdict, ``c_<result>`` (``c_success``,
    ``c_NONCE_USED``, ...), each raised with an atomic ADD (``storage/usage.py``); a model
    cannot declare attributes whose names are data, so they are not listed here.
    """

    Meta = _meta("usage")
    scope = UnicodeAttribute(hash_key=True)
    bucket_start = UnicodeAttribute(range_key=True)


class AuditModel(Model):
    """One admin write or secret reveal, in the account's partition, newest last by ``sk``.

    ``sk`` is ``<time>#<event_id>``; each filter has its own index keyed ``<account>#<value>``
    so every filter is a Query. ``changes`` is the JSON of the fields changed (never secrets).
    """

    Meta = _meta("audit")
    account_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    time = UnicodeAttribute()
    token_id = UnicodeAttribute()
    action = UnicodeAttribute()
    object_type = UnicodeAttribute()
    object_id = UnicodeAttribute()
    changes = UnicodeAttribute(default="{}")
    account_action = UnicodeAttribute()
    account_object = UnicodeAttribute()
    account_token = UnicodeAttribute()
    expires_at = TTLAttribute()
    by_action = _index("by_action", "account_action", "sk")
    by_object = _index("by_object", "account_object", "sk")
    by_token = _index("by_token", "account_token", "sk")


class NoticeModel(Model):
    """A notice the expiry notifier sent (``domain/expiry.py`` names its marker), so that it is
    sent once; TTL removes it a while after the time it was about."""

    Meta = _meta("notices")
    marker = UnicodeAttribute(hash_key=True)
    sent_at = UnicodeAttribute()
    forget_at = TTLAttribute()


ALL_MODELS: tuple[type[Model], ...] = (
    AccountModel,
    TokenModel,
    AppModel,
    KeyModel,
    AppCodeModel,
    GatewayModel,
    ApiModel,
    RouteModel,
    AuthorizationModel,
    CounterModel,
    CallRecordModel,
    UsageModel,
    AuditModel,
    NoticeModel,
)
