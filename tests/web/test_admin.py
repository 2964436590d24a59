"""Admin pages show ID numbers masked; the full number needs a reason and is logged before it is shown."""

import pytest

from portal.core.models import PersonalDataAccess
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FULL_ID = "360426199101010071"
MASKED_ID = "360***********0071"


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True, phone=None, id_number="")
    client.force_login(admin)
    client.admin_user = admin
    return client


@pytest.fixture
def citizen():
    return UserFactory(id_number=FULL_ID, real_name="李四")


def test_user_list_shows_masked_ids_only(admin_client, citizen):
    response = admin_client.get("/admin/accounts/user/")
    assert response.status_code == 200
    text = response.content.decode()
    assert MASKED_ID in text and FULL_ID not in text


def test_user_search_by_full_id_number_finds_the_person(admin_client, citizen):
    text = admin_client.get("/admin/accounts/user/", {"q": FULL_ID}).content.decode()
    assert MASKED_ID in text and "李四" in text  # (the typed search term itself is echoed in the search box)


def test_change_form_has_no_plain_id_field(admin_client, citizen):
    response = admin_client.get(f"/admin/accounts/user/{citizen.pk}/change/")
    assert response.status_code == 200
    text = response.content.decode()
    assert FULL_ID not in text
    assert 'name="id_number"' not in text
    assert MASKED_ID in text and f"/admin/accounts/user/{citizen.pk}/reveal-id/" in text


def test_saving_the_change_form_keeps_the_id_number(admin_client, citizen):
    response = admin_client.post(
        f"/admin/accounts/user/{citizen.pk}/change/",
        {
            "username": citizen.username,
            "phone": citizen.phone,
            "email": "new@example.com",
            "role": "citizen",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "id_number": "120103198806018241",  # not a form field: ignored
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    citizen.refresh_from_db()
    assert citizen.email == "new@example.com" and citizen.id_number == FULL_ID


def test_reveal_needs_a_reason_and_is_logged_before_showing(admin_client, citizen):
    url = f"/admin/accounts/user/{citizen.pk}/reveal-id/"
    page = admin_client.get(url)
    assert page.status_code == 200 and FULL_ID not in page.content.decode()

    no_reason = admin_client.post(url, {"reason": ""})
    assert FULL_ID not in no_reason.content.decode()
    assert not PersonalDataAccess.objects.exists()

    shown = admin_client.post(url, {"reason": "核对入学申请人身份"})
    assert FULL_ID in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    access = PersonalDataAccess.objects.get()
    assert access.actor == admin_client.admin_user
    assert access.reason == "核对入学申请人身份"
    assert access.record_id == str(citizen.pk) and access.field == "id_number"
    assert access.subject_masked == MASKED_ID


def test_staff_without_user_permissions_cannot_reveal(client, citizen):
    clerk = UserFactory(clerk=True, is_staff=True)
    client.force_login(clerk)
    response = client.post(f"/admin/accounts/user/{citizen.pk}/reveal-id/", {"reason": "想看看"})
    assert response.status_code in (302, 403)
    assert not PersonalDataAccess.objects.exists()


def test_access_log_is_read_only(admin_client, citizen):
    admin_client.post(f"/admin/accounts/user/{citizen.pk}/reveal-id/", {"reason": "核对身份"})
    access = PersonalDataAccess.objects.get()
    assert admin_client.get("/admin/core/personaldataaccess/").status_code == 200
    assert admin_client.get("/admin/core/personaldataaccess/add/").status_code == 403
    assert admin_client.post(f"/admin/core/personaldataaccess/{access.pk}/delete/").status_code == 403


def test_other_admin_pages_render(admin_client, catalogue):
    for url in (
        "/admin/catalog/serviceitem/",
        "/admin/catalog/serviceitem/1/change/",
        "/admin/orgs/school/",
        "/admin/orgs/school/add/",
        "/admin/notify/message/",
        "/admin/notify/delivery/",
    ):
        assert admin_client.get(url).status_code == 200, url
