"""“My cases”: each person sees only their own cases (staff: their scope); everyone else gets a 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.cases.models import Attachment, Rating
from portal.cases.services import case_open, case_transition
from tests.factories import CaseFactory, SchoolFactory, ServiceItemFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def parent():
    return UserFactory()


@pytest.fixture
def other_parent():
    return UserFactory()


@pytest.fixture
def school():
    return SchoolFactory()


@pytest.fixture
def case(parent, school):
    return case_open(
        service=ServiceItemFactory(),
        applicant=parent,
        subject_name="王小明",
        subject_id_number="120103198806018241",
        channel="online",
        district=school.district,
        school=school,
    )


def test_my_cases_needs_sign_in(client):
    response = client.get("/my/cases/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_parent_sees_own_cases_with_status_and_deadline(client, parent, case, other_parent):
    theirs = CaseFactory(applicant=other_parent)
    client.force_login(parent)
    text = client.get("/my/cases/").content.decode()
    assert case.reference_no in text and theirs.reference_no not in text
    assert "已提交" in text and "办结期限" in text


def test_case_page_shows_timeline_deadline_and_masked_id(client, parent, case):
    client.force_login(parent)
    response = client.get(f"/my/cases/{case.reference_no}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "办理进度" in text and "已提交" in text
    assert case.deadline.isoformat() in text
    assert "120***********8241" in text and "120103198806018241" not in text


def test_paused_clock_is_shown_as_paused(client, parent, case):
    from portal.cases.services import case_pause_clock

    clerk = UserFactory(clerk=True, school=case.school)
    case_pause_clock(case=case, by=clerk, reason="请补充户口簿首页")
    client.force_login(parent)
    assert "已暂停" in client.get("/my/cases/").content.decode()
    assert "已暂停" in client.get(f"/my/cases/{case.reference_no}/").content.decode()


def test_another_parent_gets_404_even_with_the_reference_number(client, case, other_parent):
    client.force_login(other_parent)
    assert client.get(f"/my/cases/{case.reference_no}/").status_code == 404
    assert client.get(f"/my/cases/{case.reference_no.lower()}/").status_code == 404
    assert client.get("/my/cases/JY-TST-2026-999999/").status_code == 404
    upload = client.post(
        f"/my/cases/{case.reference_no}/attachments/",
        {"kind": "其他材料", "file": SimpleUploadedFile("a.png", PNG, content_type="image/png")},
    )
    assert upload.status_code == 404
    assert client.post(f"/my/cases/{case.reference_no}/rating/", {"level": 1}).status_code == 404
    assert not Attachment.objects.exists()


def test_clerk_sees_own_school_only(client, case):
    own = UserFactory(clerk=True, school=case.school)
    other = UserFactory(clerk=True)  # another school
    client.force_login(own)
    assert client.get(f"/my/cases/{case.reference_no}/").status_code == 200
    assert case.reference_no in client.get("/my/cases/").content.decode()
    client.force_login(other)
    assert client.get(f"/my/cases/{case.reference_no}/").status_code == 404
    assert case.reference_no not in client.get("/my/cases/").content.decode()


def test_applicant_uploads_and_downloads_a_file(client, parent, case, other_parent):
    client.force_login(parent)
    response = client.post(
        f"/my/cases/{case.reference_no}/attachments/",
        {"kind": "其他材料", "file": SimpleUploadedFile("户口簿.png", PNG, content_type="image/png")},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(case=case)
    assert attachment.original_name == "户口簿.png"
    page = client.get(f"/my/cases/{case.reference_no}/").content.decode()
    assert "户口簿.png" in page
    download = client.get(f"/my/cases/{case.reference_no}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    client.force_login(other_parent)
    assert client.get(f"/my/cases/{case.reference_no}/attachments/{attachment.pk}/").status_code == 404


def test_a_file_of_the_wrong_type_is_a_field_error(client, parent, case):
    client.force_login(parent)
    response = client.post(
        f"/my/cases/{case.reference_no}/attachments/",
        {"kind": "其他材料", "file": SimpleUploadedFile("x.exe", b"MZ\x90\x00" * 8)},
    )
    assert response.status_code == 400
    assert response.context["upload_form"].errors["file"]
    assert not Attachment.objects.exists()


def test_rating_form_when_final_and_not_yet_rated(client, parent, case):
    clerk = UserFactory(clerk=True, school=case.school)
    client.force_login(parent)
    assert "评价本次服务" not in client.get(f"/my/cases/{case.reference_no}/").content.decode()
    case_transition(case=case, transition="complete", by=clerk)
    page = client.get(f"/my/cases/{case.reference_no}/").content.decode()
    assert "评价本次服务" in page and "非常满意" in page
    response = client.post(f"/my/cases/{case.reference_no}/rating/", {"level": "5", "comment": "很方便"})
    assert response.status_code == 302
    assert Rating.objects.get(case=case).level == 5
    page = client.get(f"/my/cases/{case.reference_no}/").content.decode()
    assert "评价本次服务" not in page and "很方便" in page


def test_rating_without_a_level_is_a_field_error(client, parent, case):
    clerk = UserFactory(clerk=True, school=case.school)
    case_transition(case=case, transition="complete", by=clerk)
    client.force_login(parent)
    response = client.post(f"/my/cases/{case.reference_no}/rating/", {"comment": "x"})
    assert response.status_code == 400
    assert response.context["rating_form"].errors["level"]
    assert not Rating.objects.exists()
