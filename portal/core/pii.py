"""Personal information: encryption at rest, keyed hashes for look-ups, masking for display.

See docs/adr/0004-personal-data-encryption.md. Every screen, admin page and log line shows ID numbers
through :func:`mask_id`; names in public notices through :func:`mask_name`.
"""

import hashlib
import hmac
import logging
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def _cipher() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(value: str) -> str:
    return _cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:  # a wrong key must fail loudly, never show ciphertext as data
        raise ValueError("cannot decrypt a stored personal-data field: wrong FIELD_ENCRYPTION_KEYS?") from exc


def encrypt_bytes(value: bytes) -> bytes:
    return _cipher().encrypt(value)


def decrypt_bytes(token: bytes) -> bytes:
    return _cipher().decrypt(token)


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised value, for equality look-ups on encrypted columns."""
    return hmac.new(
        settings.PII_HASH_KEY.encode(), value.strip().upper().encode(), hashlib.sha256
    ).hexdigest()


def mask_id(value: str | None) -> str:
    """360426199101010071 → 360***********0071 (first 3 and last 4 kept)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三明 → 张*明, 张三 → 张*, 阿依古丽·买买提 → 阿*******提. Code points, not UTF-16 units."""
    if not value:
        return ""
    chars = list(value)
    if len(chars) == 1:
        return chars[0]
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def mask_phone(value: str | None) -> str:
    """13800001234 → 138****1234."""
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else "*" * len(value)


_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{3})\d{11}(\d{4}|\d{3}[Xx])(?![\dA-Za-z])")
# an 11-digit mobile number, also written +86… or 86… (and so %2B86… in a URL-encoded query string)
_PHONE_IN_TEXT = re.compile(r"(?<!\d)((?:86)?1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Mask every ID number and mobile number that appears in free text (for logs)."""
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 11 + m.group(2), text)
    return _PHONE_IN_TEXT.sub(lambda m: m.group(1) + "****" + m.group(2), text)


class MaskPiiLogFilter(logging.Filter):
    """Logging filter: no log line carries a full ID number or phone number."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not stop logging
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
