"""Validation of the identity codes of DOMAIN.md.

- 居民身份证号 (GB 11643-1999): resident identity number, 18 characters with a check character.
- 统一社会信用代码 (GB 32100-2015): unified social credit code of an organisation.
- 不动产权证书号: real-estate certificate number.

Each validator raises ``django.core.exceptions.ValidationError`` with a message a person can act on and
returns the normalised value (upper-case X, half-width brackets).
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def id_check_char(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    """Return the 18-character ID number in upper case, or raise ValidationError saying what is wrong."""
    raw = (value or "").strip().upper()
    if not raw:
        raise ValidationError(_("Enter an ID number."), code="required")
    if len(raw) == 15 and raw.isdigit():
        raise ValidationError(
            _("15-digit ID numbers are no longer valid; enter the 18-character number on the current card."),
            code="legacy_15",
        )
    if len(raw) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)d.") % {"n": len(raw)}, code="length"
        )
    if not _ID_RE.match(raw):
        raise ValidationError(_("An ID number is 17 digits followed by a digit or X."), code="characters")
    try:
        born = date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date in this ID number (%(d)s) is not a real date.") % {"d": raw[6:14]},
            code="birth_date",
        ) from None
    if born > date.today() or born.year < 1900:
        raise ValidationError(
            _("The birth date in this ID number (%(d)s) is not possible.") % {"d": born.isoformat()},
            code="birth_date",
        )
    if id_check_char(raw[:17]) != raw[17]:
        raise ValidationError(
            _("The check digit of this ID number is wrong; please check the number again."),
            code="check_digit",
        )
    return raw


def validate_id_number(value: str) -> None:
    normalize_id_number(value)


def birth_date_from_id(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def gender_from_id(id_number: str) -> str:
    """'M' or 'F': the 17th digit is odd for men."""
    return "M" if int(id_number[16]) % 2 else "F"


_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I O Z S V
_CREDIT_RE = re.compile(rf"^[{_CREDIT_CHARS}]{{18}}$")


def normalize_credit_code(value: str) -> str:
    """Validate a unified social credit code (统一社会信用代码)."""
    raw = (value or "").strip().upper()
    if len(raw) != 18 or not _CREDIT_RE.match(raw):
        raise ValidationError(
            _("A unified social credit code has 18 characters from 0-9 and A-Z without I, O, Z, S, V."),
            code="format",
        )
    total = sum(_CREDIT_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(raw[:17]))
    check = (31 - total % 31) % 31
    if _CREDIT_CHARS[check] != raw[17]:
        raise ValidationError(_("The check character of this credit code is wrong."), code="check_digit")
    return raw


_PROPERTY_RE = re.compile(
    r"^(?P<prov>[\u4e00-\u9fff])[(（](?P<year>\d{4})[)）](?P<city>[\u4e00-\u9fff]{1,12}?)"
    r"不动产权第(?P<no>\d{7})号$"
)


def normalize_property_cert_no(value: str) -> str:
    """Validate 省简称(YYYY)市/区不动产权第NNNNNNN号; full-width brackets become half-width."""
    raw = (value or "").strip()
    m = _PROPERTY_RE.match(raw)
    if not m:
        raise ValidationError(
            _("A property certificate number looks like 浙(2020)嘉兴市不动产权第0012345号."), code="format"
        )
    return f"{m['prov']}({m['year']}){m['city']}不动产权第{m['no']}号"
