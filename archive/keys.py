"""The archive's signing key (Ed25519) and the keys a package may be signed with to count as authentic.

``ARCHIVE_SIGNING_KEY_FILE`` names a PEM private key (PKCS#8). With ``DEBUG`` on and no file there, a
development key is generated once (race-free between processes) and kept under ``var/``; with ``DEBUG``
off a missing key is a configuration error, so a production package is never sealed with a throw-away
key. The public key travels in every manifest, but a signature only counts when its key is trusted: the
current key, or one listed in ``ARCHIVE_TRUSTED_KEYS`` (SHA-256 fingerprints of retired keys) — otherwise
anyone could re-seal an altered package with a key of their own.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

ALGORITHM = "Ed25519"


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_pem(self) -> str:
        return public_pem(self.public)

    @property
    def key_id(self) -> str:
        return fingerprint(self.public)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex: the key's identifier in manifests and settings."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_public_pem(text: str) -> Ed25519PublicKey:
    """The public key from a manifest; ValueError when it is not an Ed25519 public key in PEM."""
    key = serialization.load_pem_public_key(text.strip().encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _generate(path: Path) -> None:
    """Write a new key to ``path`` unless one appears there meanwhile (another process won the race)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(tmp, path)  # fails if the key exists: never replace a key that may have signed packages
        except FileExistsError:
            return
        logger.warning(
            "generated a development archive signing key in %s (set ARCHIVE_SIGNING_KEY_FILE)", path
        )
    finally:
        tmp.unlink(missing_ok=True)


def signing_key() -> SigningKey:
    path = Path(settings.ARCHIVE_SIGNING_KEY_FILE)
    if not path.exists():
        if not settings.DEBUG:
            raise ImproperlyConfigured(
                f"ARCHIVE_SIGNING_KEY_FILE {path} does not exist: archive packages cannot be sealed"
            )
        _generate(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path} is not an Ed25519 private key")
    return SigningKey(key)


def trusted_key_ids() -> frozenset[str]:
    """Fingerprints of the keys whose signatures make a package authentic here."""
    extra = {k.strip().lower() for k in getattr(settings, "ARCHIVE_TRUSTED_KEYS", []) if k.strip()}
    return frozenset({signing_key().key_id, *extra})
