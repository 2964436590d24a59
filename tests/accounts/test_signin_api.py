import datetime as dt

import pytest

from portal.accounts.models import OneTimeCode, User
from sandbox.models import Person
from tests.i18n import zh

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered_parent():
    return Person.objects.create(
        id_number="360426199101010071",
        name="李𠈌",
        gender="M",
        birth_date=dt.date(1991, 1, 1),
        phone="13800001111",
    )


def _sms_code(client, phone):
    inbox = client.get("/sandbox/sms/", {"phone": phone}).json()
    return inbox["messages"][0]["code"]


def test_otp_sign_in_verifies_real_name(client, registered_parent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/auth/otp/", {"phone": "13800001111"}, content_type="application/json")
    assert response.status_code == 202
    assert response.json()["detail"] == zh("The code has been sent.")  # Chinese unless asked otherwise
    code = _sms_code(client, "13800001111")
    response = client.post(
        "/api/v1/auth/otp/verify/", {"phone": "13800001111", "code": code}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    user = User.objects.get(phone="13800001111")
    assert user.real_name == "李𠈌" and user.id_number == "360426199101010071"
    assert user.is_real_name_verified
    assert token


def _request_code(client, phone, capture):
    with capture(execute=True):
        response = client.post("/api/v1/auth/otp/", {"phone": phone}, content_type="application/json")
    assert response.status_code == 202, response.content
    return _sms_code(client, phone)


def _verify(client, phone, code):
    return client.post(
        "/api/v1/auth/otp/verify/", {"phone": phone, "code": code}, content_type="application/json"
    )


@pytest.mark.parametrize("phone", ["", "1380000111", "23800001111", "abc", "138000011112"])
def test_bad_phone_numbers_get_a_field_error(client, phone):
    response = client.post("/api/v1/auth/otp/", {"phone": phone}, content_type="application/json")
    assert response.status_code == 400
    assert "phone" in response.json()


def test_wrong_code_is_a_field_error(client, registered_parent, django_capture_on_commit_callbacks):
    code = _request_code(client, "13800001111", django_capture_on_commit_callbacks)
    wrong = "000000" if code != "000000" else "111111"
    response = _verify(client, "13800001111", wrong)
    assert response.status_code == 400
    assert "code" in response.json()
    assert _verify(client, "13800001111", "12ab").status_code == 400


def test_a_code_works_once(client, registered_parent, django_capture_on_commit_callbacks):
    code = _request_code(client, "13800001111", django_capture_on_commit_callbacks)
    assert _verify(client, "13800001111", code).status_code == 200
    assert _verify(client, "13800001111", code).status_code == 400


def test_a_new_code_is_refused_within_a_minute(client, registered_parent, django_capture_on_commit_callbacks):
    _request_code(client, "13800001111", django_capture_on_commit_callbacks)
    response = client.post("/api/v1/auth/otp/", {"phone": "13800001111"}, content_type="application/json")
    assert response.status_code == 429
    assert "phone" in response.json() and response.json()["wait_seconds"] <= 61


def test_a_phone_not_in_the_household_registry_is_refused(client, django_capture_on_commit_callbacks):
    code = _request_code(client, "13900009999", django_capture_on_commit_callbacks)
    response = _verify(client, "13900009999", code)
    assert response.status_code == 400
    assert "household registry" in str(response.json()["phone"]) or response.json()["phone"]
    assert not User.objects.filter(phone="13900009999").exists()


def test_lockout_after_five_failures_even_with_the_right_code(
    client, registered_parent, django_capture_on_commit_callbacks
):
    code = _request_code(client, "13800001111", django_capture_on_commit_callbacks)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [_verify(client, "13800001111", wrong).status_code for _ in range(5)]
    assert statuses[:4] == [400, 400, 400, 400]
    response = _verify(client, "13800001111", code)
    assert response.status_code == 429
    assert "15" in response.json()["detail"]
    assert response["Retry-After"] == str(15 * 60)


def test_lockout_lifts_after_fifteen_minutes(client, registered_parent, django_capture_on_commit_callbacks):
    from axes.models import AccessAttempt
    from django.utils import timezone

    code = _request_code(client, "13800001111", django_capture_on_commit_callbacks)
    for _ in range(5):
        _verify(client, "13800001111", "999999" if code != "999999" else "111111")
    assert _verify(client, "13800001111", code).status_code == 429
    # fifteen minutes later the account is open again; the burned code is not, so a new one is sent
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=16))
    assert _verify(client, "13800001111", code).status_code == 400
    new_code = _request_code(client, "13800001111", django_capture_on_commit_callbacks)
    assert _verify(client, "13800001111", new_code).status_code == 200


def test_staff_password_token_and_its_lockout(client):
    from tests.factories import UserFactory

    UserFactory(clerk=True, username="clerk1")
    ok = client.post(
        "/api/v1/auth/token/",
        {"username": "clerk1", "password": "correct-horse-battery"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["token"]
    for _ in range(5):
        bad = client.post(
            "/api/v1/auth/token/", {"username": "clerk1", "password": "nope"}, content_type="application/json"
        )
    assert bad.status_code in (400, 429)
    locked = client.post(
        "/api/v1/auth/token/",
        {"username": "clerk1", "password": "correct-horse-battery"},
        content_type="application/json",
    )
    assert locked.status_code == 429


def test_citizens_cannot_get_a_password_token(client):
    from tests.factories import UserFactory

    UserFactory(username="parent1")
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "parent1", "password": "correct-horse-battery"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_tokens_expire(client, settings):
    from rest_framework.authtoken.models import Token

    from tests.factories import UserFactory

    user = UserFactory(bureau=True, username="staff1")
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "staff1", "password": "correct-horse-battery"},
        content_type="application/json",
    ).json()["token"]
    assert client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    Token.objects.filter(user=user).update(created=timezone_now() - settings.API_TOKEN_TTL - dt.timedelta(1))
    response = client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_identity_provider_down_is_a_clear_503(client, registered_parent, django_capture_on_commit_callbacks):
    import httpx

    from portal.core import http

    code = _request_code(client, "13800001111", django_capture_on_commit_callbacks)

    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    http.set_transport(httpx.MockTransport(refuse))
    response = _verify(client, "13800001111", code)
    assert response.status_code == 503
    assert response.json()["detail"] == zh(
        "Real-name verification is unavailable right now; please try again shortly."
    )


def test_an_unexpected_error_is_a_json_500_that_says_it_was_logged(client, monkeypatch, caplog):
    from portal.accounts import services

    def broken(**kwargs):
        raise RuntimeError("the SMS queue is on fire")

    monkeypatch.setattr(services, "otp_request", broken)
    response = client.post("/api/v1/auth/otp/", {"phone": "13800001111"}, content_type="application/json")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": zh("An internal error occurred; it has been logged. Please try again later.")
    }
    assert "the SMS queue is on fire" in caplog.text  # logged, not shown
    assert "the SMS queue is on fire" not in response.content.decode()
