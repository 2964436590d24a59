"""Sign-in codes are limited per phone, not per address (issue 13, item 0).

Behind one school, office or carrier NAT thousands of families share an address: the eleventh parent in
an hour must not be refused. One phone, though, gets one code a minute and a capped number a day."""

import datetime as dt

import pytest
from django.utils import timezone

from portal.accounts.models import OneTimeCode
from tests.i18n import zh

pytestmark = pytest.mark.django_db

NAT = "203.0.113.7"


def _ask(client, phone, address=NAT):
    return client.post(
        "/api/v1/auth/otp/", {"phone": phone}, content_type="application/json", REMOTE_ADDR=address
    )


def test_two_hundred_parents_behind_one_address_all_get_their_codes(client):
    phones = [f"139{n:08d}" for n in range(200)]
    statuses = [_ask(client, phone).status_code for phone in phones]
    assert statuses == [202] * 200
    assert OneTimeCode.objects.filter(phone__in=phones).count() == 200


def test_one_phone_asking_twice_in_a_minute_is_told_how_long_to_wait(client):
    assert _ask(client, "13800001111").status_code == 202
    again = _ask(client, "13800001111", address="198.51.100.9")  # another address changes nothing
    assert again.status_code == 429
    body = again.json()
    assert 1 <= body["wait_seconds"] <= 61
    assert again["Retry-After"] == str(body["wait_seconds"])
    assert body["detail"] == f"验证码刚刚已发送，请 {body['wait_seconds']} 秒后再试。"
    assert body["phone"] == [body["detail"]]
    assert OneTimeCode.objects.filter(phone="13800001111").count() == 1


def test_a_phone_gets_a_new_code_once_the_minute_is_over(client):
    assert _ask(client, "13800001111").status_code == 202
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))
    assert _ask(client, "13800001111").status_code == 202


def test_a_phone_is_capped_per_rolling_day(client, settings):
    settings.OTP_DAILY_LIMIT = 3
    now = timezone.now()
    for hours_ago in (23, 10, 2):
        code = OneTimeCode.objects.create(phone="13800001111", code="123456", expires_at=now)
        OneTimeCode.objects.filter(pk=code.pk).update(created_at=now - dt.timedelta(hours=hours_ago))
    refused = _ask(client, "13800001111")
    assert refused.status_code == 429
    # the code of 23 hours ago ages out of the day in about an hour
    assert 3500 <= refused.json()["wait_seconds"] <= 3601
    assert "3" in refused.json()["detail"]
    OneTimeCode.objects.filter(created_at__lt=now - dt.timedelta(hours=22)).update(
        created_at=now - dt.timedelta(hours=25)
    )
    assert _ask(client, "13800001111").status_code == 202


def test_the_address_limit_guards_against_sms_pumping(client, settings):
    settings.OTP_ADDRESS_RATE = "5/min"
    statuses = [_ask(client, f"139{n:08d}").status_code for n in range(6)]
    assert statuses == [202] * 5 + [429]
    assert _ask(client, "13900000099", address="198.51.100.9").status_code == 202  # other addresses go on


def test_the_default_address_limit_is_hundreds_a_minute():
    from portal.accounts.throttles import CodeRequestsPerAddress

    throttle = CodeRequestsPerAddress()
    assert throttle.num_requests / throttle.duration * 60 >= 200


def test_the_sign_in_page_shares_the_limits(client, settings):
    settings.OTP_ADDRESS_RATE = "2/min"
    _ask(client, "13900000001")  # the API and the page count together per address
    page = client.post("/accounts/login/", {"action": "send", "phone": "13900000002"}, REMOTE_ADDR=NAT)
    assert page.status_code == 302
    page = client.post("/accounts/login/", {"action": "send", "phone": "13900000003"}, REMOTE_ADDR=NAT)
    assert page.status_code == 400
    assert zh("Too many codes were requested from this network. Please try again later.") in page.text


def test_the_sign_in_page_says_how_long_one_phone_must_wait(client):
    assert _ask(client, "13800001111").status_code == 202
    page = client.post("/accounts/login/", {"action": "send", "phone": "13800001111"})
    assert page.status_code == 400
    assert "秒后再试" in page.text
