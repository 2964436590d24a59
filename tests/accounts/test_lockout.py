"""Lockout per user name and address (django-axes' combination): a stranger's wrong passwords cannot lock
someone else out, and staff lift a lockout through the users admin, which is logged."""

import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def staff_login(address: str, password: str, **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    return client, client.post("/accounts/staff-login/", {"username": "admin1", "password": password})


def lock_from(address: str):
    for _ in range(5):
        staff_login(address, "nope")


@pytest.fixture
def administrator():
    return UserFactory(username="admin1", is_staff=True, is_superuser=True, phone=None, id_number="")


def test_a_stranger_cannot_lock_an_administrator_out(administrator):
    lock_from("203.0.113.9")
    assert staff_login("203.0.113.9", PASSWORD)[1].status_code == 429  # the stranger's own address is locked
    client, response = staff_login("198.51.100.1", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(administrator.pk)


def test_behind_a_trusted_proxy_the_forwarded_address_counts(administrator, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        staff_login("10.0.0.1", "nope", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    assert staff_login("10.0.0.1", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")[1].status_code == 429
    # the same proxy, another client: not locked (what a client writes itself is ignored)
    assert (
        staff_login("10.0.0.1", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9, 192.0.2.4")[1].status_code == 302
    )


def test_staff_lift_a_lockout_in_the_users_admin_and_it_is_logged(administrator, caplog):
    clerk = UserFactory(clerk=True, username="clerk1")
    for _ in range(5):
        Client(REMOTE_ADDR="192.0.2.5").post(
            "/accounts/staff-login/", {"username": "clerk1", "password": "x"}
        )
    locked = Client(REMOTE_ADDR="192.0.2.5")
    assert (
        locked.post("/accounts/staff-login/", {"username": "clerk1", "password": PASSWORD}).status_code == 429
    )
    assert AccessAttempt.objects.filter(username="clerk1").exists()

    admin = Client(REMOTE_ADDR="198.51.100.1")
    admin.force_login(administrator)
    changelist = admin.get("/admin/accounts/user/")
    assert "unlock_sign_in" in changelist.content.decode()
    with caplog.at_level(logging.WARNING, logger="portal.accounts.lockout"):
        response = admin.post(
            "/admin/accounts/user/", {"action": "unlock_sign_in", "_selected_action": [clerk.pk]}, follow=True
        )
    assert response.status_code == 200
    assert not AccessAttempt.objects.filter(username="clerk1").exists()
    entry = LogEntry.objects.get(object_id=str(clerk.pk))
    assert entry.user == administrator
    assert any(f"lifted by user {administrator.pk}" in r.getMessage() for r in caplog.records)
    assert (
        locked.post("/accounts/staff-login/", {"username": "clerk1", "password": PASSWORD}).status_code == 302
    )


def test_only_staff_allowed_to_remove_attempts_may_lift_a_lockout(administrator):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(clerk=True, username="clerk1")
    viewer = UserFactory(username="viewer", is_staff=True, phone=None, id_number="")
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client = Client()
    client.force_login(viewer)
    assert "unlock_sign_in" not in client.get("/admin/accounts/user/").content.decode()
    response = client.post(
        "/admin/accounts/user/", {"action": "unlock_sign_in", "_selected_action": [clerk.pk]}
    )
    assert not LogEntry.objects.filter(object_id=str(clerk.pk)).exists()
    assert response.status_code in (200, 302)


def test_a_phone_is_counted_under_its_keyed_hash_and_staff_lift_the_lockout(
    administrator, django_capture_on_commit_callbacks
):
    """django-axes' records never hold the number itself (issue 13 item 10): failures are counted under
    ``tel:<keyed hash>`` per address, and the users admin's unlock finds them through the citizen's phone."""
    import datetime as dt

    from django.utils import timezone

    from portal.accounts.lockout import lockout_name_for_phone
    from portal.accounts.models import OneTimeCode
    from sandbox.models import Person

    phone = "13800004444"
    Person.objects.create(
        id_number="360426199101010071", name="李四", gender="M", birth_date="1991-01-01", phone=phone
    )
    citizen = UserFactory(phone=phone, id_number="360426199101010071")
    client = Client(REMOTE_ADDR="192.0.2.7")

    def request_code():
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/api/v1/auth/otp/", {"phone": phone}, content_type="application/json")
        return client.get("/sandbox/sms/", {"phone": phone}).json()["messages"][0]["code"]

    def verify(code):
        return client.post(
            "/api/v1/auth/otp/verify/", {"phone": phone, "code": code}, content_type="application/json"
        )

    code = request_code()
    for _ in range(5):
        verify("000000" if code != "000000" else "111111")
    assert verify(code).status_code == 429
    names = set(AccessAttempt.objects.values_list("username", flat=True))
    assert names == {lockout_name_for_phone(phone)} and phone not in str(names)
    assert not AccessAttempt.objects.filter(post_data__contains=phone).exists()

    admin = Client(REMOTE_ADDR="198.51.100.1")
    admin.force_login(administrator)
    admin.post("/admin/accounts/user/", {"action": "unlock_sign_in", "_selected_action": [citizen.pk]})
    assert not AccessAttempt.objects.exists()
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))  # may send another
    assert verify(request_code()).status_code == 200
