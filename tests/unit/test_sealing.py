"""Envelope encryption of signing secrets, over moto's KMS: a sealed secret opens only as sealed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from moto import mock_aws

from chalicelib.config import settings
from chalicelib.storage import clients
from chalicelib.storage.sealing import SealedSecret, open_secret, seal_secret

SECRET = "s3cr3t-名字-s3cr3t"
ACCESS_KEY = "AKEY12345"


@pytest.fixture(autouse=True, scope="module")
def kms_key() -> Iterator[None]:
    """Only the KMS key behind the configured alias, once: these tests need no table, and
    sealing leaves nothing behind in KMS that another test could see."""
    with mock_aws():
        key = clients.kms().create_key(Description="apiauth sealing test")
        clients.kms().create_alias(
            AliasName=settings().kms_key_id, TargetKeyId=key["KeyMetadata"]["KeyId"]
        )
        yield


def flip_byte(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


def test_a_sealed_secret_opens_to_itself() -> None:
    sealed = seal_secret(SECRET, ACCESS_KEY)
    assert open_secret(sealed.secret_sealed, sealed.data_key_sealed, ACCESS_KEY) == SECRET


def test_the_sealed_blob_holds_no_plaintext() -> None:
    sealed = seal_secret(SECRET, ACCESS_KEY)
    assert SECRET.encode() not in sealed.secret_sealed
    assert SECRET.encode() not in sealed.data_key_sealed


def test_sealing_twice_gives_different_blobs() -> None:
    first, second = seal_secret(SECRET, ACCESS_KEY), seal_secret(SECRET, ACCESS_KEY)
    assert first.secret_sealed[:12] != second.secret_sealed[:12]  # a fresh nonce
    assert first.data_key_sealed != second.data_key_sealed  # a fresh data key


def test_a_sealed_secret_does_not_open_under_another_access_key() -> None:
    sealed = seal_secret(SECRET, ACCESS_KEY)
    with pytest.raises(InvalidTag):
        open_secret(sealed.secret_sealed, sealed.data_key_sealed, "AKEY99999")


def test_a_blob_moved_to_another_keys_item_does_not_open_there() -> None:
    mine, theirs = seal_secret(SECRET, ACCESS_KEY), seal_secret("other", "AKEY99999")
    with pytest.raises(InvalidTag):
        open_secret(mine.secret_sealed, mine.data_key_sealed, "AKEY99999")
    with pytest.raises(InvalidTag):
        open_secret(mine.secret_sealed, theirs.data_key_sealed, ACCESS_KEY)


@pytest.mark.parametrize("index", [0, 11, 12, -1], ids=["nonce", "nonce-end", "body", "tag"])
def test_a_tampered_sealed_secret_does_not_open(index: int) -> None:
    sealed = seal_secret(SECRET, ACCESS_KEY)
    tampered = flip_byte(sealed.secret_sealed, index)
    with pytest.raises(InvalidTag):
        open_secret(tampered, sealed.data_key_sealed, ACCESS_KEY)


def test_a_tampered_data_key_is_refused_by_kms() -> None:
    sealed = seal_secret(SECRET, ACCESS_KEY)
    tampered = SealedSecret(sealed.secret_sealed, flip_byte(sealed.data_key_sealed, -1))
    with pytest.raises(ClientError):
        open_secret(tampered.secret_sealed, tampered.data_key_sealed, ACCESS_KEY)


@pytest.mark.parametrize("context", [{}, {"purpose": "something-else"}])
def test_the_data_key_is_bound_to_the_signing_secret_context(context: dict[str, str]) -> None:
    sealed = seal_secret(SECRET, ACCESS_KEY)
    with pytest.raises(ClientError) as caught:
        clients.kms().decrypt(CiphertextBlob=sealed.data_key_sealed, EncryptionContext=context)
    assert caught.value.response["Error"]["Code"] == "InvalidCiphertextException"
