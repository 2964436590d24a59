"""The site speaks Chinese first: messages, logs and errors made outside an English request are Chinese.
Tests that look for one find it through its English source string, so they keep failing when the
message changes and keep passing when only its wording in the catalogue does."""

import re

from django.utils import translation

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{[^}]*\}")


def zh(msgid: str) -> str:
    """The longest fixed part of the Chinese of ``msgid`` (placeholders cut out): what a formatted
    message certainly contains."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    assert text != msgid, f"no Chinese translation of {msgid!r}"
    return max(PLACEHOLDER.split(text), key=lambda part: len(part.strip())).strip()


def zh_format(msgid: str, **values) -> str:
    """The whole Chinese message: ``msgid`` translated and formatted with ``values``."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid) % values
