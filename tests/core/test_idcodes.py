import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from portal.core.idcodes import (
    birth_date_from_id,
    gender_from_id,
    normalize_credit_code,
    normalize_id_number,
    normalize_property_cert_no,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("360426199101010071", "360426199101010071"),
        ("120103198806018241", "120103198806018241"),
        (" 360426199101010071 ", "360426199101010071"),
        ("11010519491231002x", "11010519491231002X"),  # lower-case x accepted, stored upper-case
    ],
)
def test_valid_id_numbers_are_normalised(value, expected):
    assert normalize_id_number(value) == expected


@pytest.mark.parametrize(
    "value, code",
    [
        ("360426199101010072", "check_digit"),
        ("360426199102300070", "birth_date"),  # 30 February
        ("360426209901010076", "birth_date"),  # in the future
        ("360426910101007", "legacy_15"),  # old 15-digit number
        ("36042619910101007", "length"),
        ("36042619910101007Y", "characters"),
        ("", "required"),
    ],
)
def test_invalid_id_numbers_give_a_clear_reason(value, code):
    with pytest.raises(ValidationError) as info:
        normalize_id_number(value)
    assert info.value.code == code
    assert info.value.messages[0]  # a sentence a person can act on


def test_birth_date_and_gender_come_from_the_number():
    assert birth_date_from_id("120103198806018241") == dt.date(1988, 6, 1)
    assert gender_from_id("360426199101010071") == "M"
    assert gender_from_id("120103198806018241") == "F"


def test_credit_codes():
    assert normalize_credit_code("91110108551385082q") == "91110108551385082Q"
    for bad in ("91350100M000100Y4Z", "91110108551385082X", "9111010855138508"):
        with pytest.raises(ValidationError):
            normalize_credit_code(bad)


def test_property_certificate_numbers_accept_both_bracket_widths():
    assert (
        normalize_property_cert_no("浙（2020）嘉兴市不动产权第0012345号")
        == "浙(2020)嘉兴市不动产权第0012345号"
    )
    assert (
        normalize_property_cert_no("浙(2020)秀洲区不动产权第0012345号") == "浙(2020)秀洲区不动产权第0012345号"
    )
    with pytest.raises(ValidationError):
        normalize_property_cert_no("浙2020嘉兴市不动产权第12345号")
