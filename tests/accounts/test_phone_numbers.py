"""Phone numbers encrypted at rest, found through their keyed hash, masked on screens and in access logs
(issue 13 item 10, docs/adr/0019-phone-numbers.md)."""

import datetime as dt
import logging

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from portal.accounts.models import OneTimeCode, User
from portal.core import pii
from portal.core.access_log import MaskingGunicornLogger
from portal.notify.models import Delivery
from portal.notify.services import message_send
from tests.factories import UserFactory

PHONE = "13800005678"


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_users_phone_is_ciphertext_beside_its_keyed_hash_and_found_by_it():
    user = UserFactory(phone=PHONE)
    stored = raw("accounts_user", "phone", user.pk)
    assert PHONE not in stored and pii.decrypt_str(stored) == PHONE
    assert raw("accounts_user", "phone_hash", user.pk) == pii.keyed_hash(PHONE)
    assert User.objects.get(phone=PHONE) == user
    assert list(User.objects.filter(phone__in=[PHONE, "13800000000"])) == [user]
    assert UserFactory(phone=None).phone_hash is None  # people without a phone do not collide
    assert UserFactory(phone="").phone is None
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(phone=PHONE)  # one account per number


@pytest.mark.django_db
def test_changing_the_number_changes_its_hash_even_with_update_fields():
    user = UserFactory(phone=PHONE)
    user.phone = "13800001234"
    user.save(update_fields=["phone"])
    assert User.objects.get(phone="13800001234") == user
    assert not User.objects.filter(phone=PHONE).exists()


@pytest.mark.django_db
def test_one_time_codes_are_keyed_by_the_hash(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/api/v1/auth/otp/", {"phone": PHONE}, content_type="application/json").status_code
    otp = OneTimeCode.objects.get(phone=PHONE)
    assert raw("accounts_onetimecode", "phone_hash", otp.pk) == pii.keyed_hash(PHONE)
    assert PHONE not in raw("accounts_onetimecode", "phone", otp.pk)
    assert otp.sent_at is not None  # the task still reads the number to send it


@pytest.mark.django_db
def test_a_first_sign_in_gets_a_user_name_that_is_not_the_number(client, django_capture_on_commit_callbacks):
    from sandbox.models import Person

    Person.objects.create(
        id_number="360426199101010071", name="李四", gender="M", birth_date=dt.date(1991, 1, 1)
    )
    Person.objects.filter(id_number="360426199101010071").update(phone=PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/auth/otp/", {"phone": PHONE}, content_type="application/json")
    code = client.get("/sandbox/sms/", {"phone": PHONE}).json()["messages"][0]["code"]
    response = client.post(
        "/api/v1/auth/otp/verify/", {"phone": PHONE, "code": code}, content_type="application/json"
    )
    assert response.status_code == 200
    user = User.objects.get(phone=PHONE)
    assert PHONE not in user.username and user.real_name == "李四"
    me = client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert PHONE not in me.content.decode()


@pytest.mark.django_db
def test_sms_delivery_addresses_are_encrypted_and_shown_masked(django_capture_on_commit_callbacks):
    user = UserFactory(phone=PHONE, email="")
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send(recipient=user, subject="您的办件已受理", body="请按时办理。")
    delivery = Delivery.objects.get(message=message)
    assert delivery.address == PHONE and delivery.status == "sent"
    assert PHONE not in raw("notify_delivery", "address", delivery.pk)
    admin = Client()
    admin.force_login(
        UserFactory(username="root", is_staff=True, is_superuser=True, phone=None, id_number="")
    )
    page = admin.get("/admin/notify/delivery/").content.decode()
    assert "138****5678" in page and PHONE not in page


@pytest.mark.django_db
def test_the_users_admin_finds_a_number_through_its_hash_and_shows_it_masked():
    citizen = UserFactory(phone=PHONE, real_name="李四")
    UserFactory(phone="13800001234", real_name="王五")
    admin = Client()
    admin.force_login(
        UserFactory(username="root", is_staff=True, is_superuser=True, phone=None, id_number="")
    )
    found = admin.get("/admin/accounts/user/", {"q": PHONE}).content.decode()
    assert "李四" in found and "王五" not in found and "138****5678" in found
    form = admin.get(f"/admin/accounts/user/{citizen.pk}/change/").content.decode()
    assert "138****5678" in form and PHONE not in form and 'name="phone"' not in form

    data = {
        "username": citizen.username,
        "new_phone": "13800001234",
        "role": "citizen",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    taken = admin.post(f"/admin/accounts/user/{citizen.pk}/change/", data)
    assert taken.status_code == 200 and taken.context["adminform"].form.errors["new_phone"]
    changed = admin.post(f"/admin/accounts/user/{citizen.pk}/change/", {**data, "new_phone": "138 0000 9999"})
    assert changed.status_code == 302
    citizen.refresh_from_db()
    assert citizen.phone == "13800009999" and User.objects.get(phone="13800009999") == citizen
    kept = admin.post(f"/admin/accounts/user/{citizen.pk}/change/", {**data, "new_phone": ""})
    assert kept.status_code == 302
    citizen.refresh_from_db()
    assert citizen.phone == "13800009999"


def test_the_gunicorn_access_log_masks_numbers_in_the_request_line_and_referrer():
    class Config:
        access_log_format = '%(h)s "%(r)s" %(s)s "%(f)s"'

    class Response:
        status, sent, headers = "200 OK", 10, []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/admin/accounts/user/?q=13800005678",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "q=13800005678",
        "HTTP_REFERER": "https://portal.example/x?phone=%2B8613800005678",
        "REMOTE_ADDR": "192.0.2.1",
    }
    atoms = MaskingGunicornLogger.atoms(
        MaskingGunicornLogger.__new__(MaskingGunicornLogger), Response(), [], environ, dt.timedelta(seconds=1)
    )
    line = Config.access_log_format % atoms
    assert "5678" in line and PHONE not in line and "8613800005678" not in line
    assert "/admin/accounts/user/?q=138****5678" in line


def test_runservers_access_log_is_masked():
    """``django.server`` has a console handler of its own (not the root's): it carries the mask filter too
    (pytest's capture handlers aside)."""
    handlers = [h for h in logging.getLogger("django.server").handlers if type(h) is logging.StreamHandler]
    assert handlers and all(any(isinstance(f, pii.MaskPiiLogFilter) for f in h.filters) for h in handlers)
