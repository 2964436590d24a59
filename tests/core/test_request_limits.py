"""A body over the limit answers 413 with a message — JSON for the API, a page otherwise — never a 500."""

import json

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import UserFactory
from tests.i18n import zh

pytestmark = pytest.mark.django_db

TOO_BIG = 13 * 1024 * 1024


def big_json() -> str:
    return json.dumps({"note": "x" * TOO_BIG})


@pytest.fixture
def api_client():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    return client


def test_a_13_mb_json_body_to_the_api_is_413_json(api_client):
    response = api_client.post(
        "/api/v1/enrollment/applications/", big_json(), content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert (
        zh("The request is too large: at most %(limit)d MB may be sent at once.") in response.json()["detail"]
    )


def test_an_oversized_form_field_read_by_an_api_view_is_413_json(api_client):
    """No declared length over the limit (multipart, whose files do not count): the view's parser raises."""
    response = api_client.post("/api/v1/enrollment/applications/", {"note": "x" * TOO_BIG})
    assert response.status_code == 413
    assert "detail" in response.json()


def test_a_13_mb_form_to_a_page_is_a_413_page():
    client = Client(raise_request_exception=False)
    response = client.post(
        "/accounts/login/", "phone=" + "1" * TOO_BIG, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert zh("Request too large") in response.content.decode()


def test_an_oversized_multipart_form_to_a_page_is_a_413_page_even_before_the_csrf_check():
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = client.post("/accounts/login/", {"phone": "1" * TOO_BIG})
    assert response.status_code == 413
    assert zh("Request too large") in response.content.decode()


def test_a_body_under_the_limit_is_not_refused(api_client):
    body = json.dumps({"note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2)})
    response = api_client.post("/api/v1/enrollment/applications/", body, content_type="application/json")
    assert response.status_code != 413
