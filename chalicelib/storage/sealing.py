"""Envelope encryption of signing secrets: a KMS data key per secret, AES-GCM over the secret.

Secrets must stay readable (HMAC verification needs them), so they are encrypted, never
hashed. The access key is bound in as associated data so a sealed blob cannot be moved to
another key's item.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from chalicelib.config import settings
from chalicelib.storage import clients

_CONTEXT = {"purpose": "apiauth-signing-secret"}


class SealedSecret(NamedTuple):
    secret_sealed: bytes
    data_key_sealed: bytes


def seal_secret(secret: str, access_key: str) -> SealedSecret:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    response = clients.kms().generate_data_key(
        KeyId=settings().kms_key_id, KeySpec="AES_256", EncryptionContext=_CONTEXT
    )
    nonce = os.urandom(12)
    sealed = AESGCM(response["Plaintext"]).encrypt(
        nonce, secret.encode("utf-8"), access_key.encode("utf-8")
    )
    return SealedSecret(nonce + sealed, response["CiphertextBlob"])


def open_secret(secret_sealed: bytes, data_key_sealed: bytes, access_key: str) -> str:
    # Imported here: the authorizer only needs it on a cache miss.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data_key = clients.kms().decrypt(CiphertextBlob=data_key_sealed, EncryptionContext=_CONTEXT)
    plain = AESGCM(data_key["Plaintext"]).decrypt(
        secret_sealed[:12], secret_sealed[12:], access_key.encode("utf-8")
    )
    return plain.decode("utf-8")
