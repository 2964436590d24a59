"""The sandbox SMS inbox: readable Chinese for a browser (time, masked number, text, the one-time code),
JSON without \\u escapes for scripts; only a real verification code is picked out (issue 13 item 2)."""

import datetime as dt

import pytest
from django.utils import timezone

from sandbox.models import SmsMessage

pytestmark = pytest.mark.django_db

PHONE = "13800003333"
OTP = "【教育一网通办】您的登录验证码是 482913，5分钟内有效。请勿告诉他人。"
STATUS = "【教育一网通办】您的办件 JY-ENR-2027-000123 已受理，缴费 120000 分，请于 20270901 前办理。"


@pytest.fixture
def inbox():
    status = SmsMessage.objects.create(phone=PHONE, text=STATUS)
    otp = SmsMessage.objects.create(phone=PHONE, text=OTP)
    at = timezone.make_aware(dt.datetime(2027, 5, 6, 9, 30, 15), dt.timezone(dt.timedelta(hours=8)))
    SmsMessage.objects.filter(pk=otp.pk).update(sent_at=at)
    SmsMessage.objects.filter(pk=status.pk).update(sent_at=at - dt.timedelta(minutes=1))


def test_the_browser_gets_a_readable_page(client, inbox):
    response = client.get("/sandbox/sms/", {"phone": PHONE}, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "您的登录验证码是 482913" in text and "JY-ENR-2027-000123" in text
    assert "2027-05-06 09:30:15" in text  # local time
    assert "138****3333" in text
    assert text.count('class="otp"') == 1 and '<span class="otp">482913</span>' in text
    assert "\\u" not in text and "{&quot;" not in text


def test_json_is_readable_chinese_and_only_the_code_is_picked_out(client, inbox):
    response = client.get("/sandbox/sms/", {"phone": PHONE})
    assert response["Content-Type"].startswith("application/json")
    assert "\\u" not in response.content.decode() and "验证码" in response.content.decode()
    codes = [(m["text"][:12], m["code"]) for m in response.json()["messages"]]
    assert codes == [(OTP[:12], "482913"), (STATUS[:12], None)]


def test_the_page_without_a_number_asks_for_one(client):
    text = client.get("/sandbox/sms/", HTTP_ACCEPT="text/html").content.decode()
    assert 'name="phone"' in text and "手机号码" in text


def test_the_inbox_opens_by_the_numbers_keyed_hash_or_a_posted_number(client, inbox):
    """No phone number in a URL: the sign-in page links ``?to=<keyed hash>``; the page's form POSTs."""
    from portal.core.pii import keyed_hash

    by_hash = client.get("/sandbox/sms/", {"to": keyed_hash(PHONE)}).json()["messages"]
    assert [m["code"] for m in by_hash] == ["482913", None]
    assert client.get("/sandbox/sms/", {"to": keyed_hash("13800009999")}).json() == {"messages": []}
    page = client.post("/sandbox/sms/", {"phone": PHONE}, HTTP_ACCEPT="text/html").content.decode()
    assert '<span class="otp">482913</span>' in page and "138****3333" in page and PHONE not in page
    assert 'method="post"' in client.get("/sandbox/sms/", HTTP_ACCEPT="text/html").content.decode()
