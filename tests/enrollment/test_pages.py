"""The enrollment pages through the Django test client: the parent wizard (saved and resumed, preview,
submit), the status page, the counter, the review queue and its actions, and the supplement upload.
Registries are the sandbox's, reached over HTTP in-process; verification runs when on_commit fires."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from enrollment.models import Application, Draft, State
from portal.accounts.models import User
from portal.cases.models import Channel
from portal.orgs.models import School
from tests.enrollment.conftest import YEAR, ZONE_P2, new_id, submit
from tests.factories import UserFactory, tiny_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def needs_review(fam, capture, *, community=None):
    """An application whose age check fails (born the day after the cut-off), so a clerk decides."""
    fam.children = [(new_id("2021-09-01", male=True), "王小明", "2021-09-01")]
    if community:
        fam.community = community
        fam.homes = [{"community": community, "area": 96.5, "owners": "both", "registered": "2016-04-28"}]
    app = submit(fam.load(), capture)
    assert app.state == State.NEEDS_REVIEW
    return app


def clerk_of(code: str) -> User:
    return UserFactory(clerk=True, school=School.objects.get(code=code))


def post_step(client, url, data=None, status=302):
    response = client.post(url, data or {})
    assert response.status_code == status, response.content.decode()[:3000]
    return response


# --- the parent wizard ----------------------------------------------------------------------------------


def test_wizard_end_to_end_saved_resumed_previewed_and_submitted(
    client, family, django_capture_on_commit_callbacks
):
    family.load()
    client.force_login(family.guardian)

    start = client.get("/enrollment/apply/")
    assert start.status_code == 200
    assert "王𠈌" in start.content.decode()  # the real-name verified name
    response = post_step(client, "/enrollment/apply/", {"stage": "primary", "year": YEAR})
    draft = Draft.objects.get(guardian=family.guardian, year=YEAR, stage="primary")
    assert response.url == f"/enrollment/apply/{draft.pk}/child/"

    child_page = client.get(response.url).content.decode()
    assert "学籍" in child_page and "不动产" in child_page  # which records, from which registry
    response = post_step(client, response.url, {"child_id_number": family.child.lower(), "consent": "on"})
    assert response.url == f"/enrollment/apply/{draft.pk}/other-guardian/"

    draft.refresh_from_db()
    assert draft.step == 3
    assert json.loads(draft.data)["child_id_number"] == family.child  # stored normalised
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT data FROM enrollment_draft WHERE id = %s", [draft.pk])
        assert family.child not in cursor.fetchone()[0]

    # leave and come back: the wizard resumes at the saved step
    resumed = client.get("/enrollment/apply/")
    assert resumed.status_code == 302 and resumed.url == f"/enrollment/apply/{draft.pk}/other-guardian/"
    # no skipping ahead
    assert client.get(f"/enrollment/apply/{draft.pk}/preview/").url.endswith("/other-guardian/")

    url = post_step(client, resumed.url, {"other_guardian_id_number": family.mother}).url
    url = post_step(client, url).url  # 学籍: checked automatically
    url = post_step(client, url, {"residence": "owned"}).url
    url = post_step(client, url, {"sibling_reference_no": ""}).url
    assert url == f"/enrollment/apply/{draft.pk}/preview/"

    preview = client.get(url)
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "王小𬌗" in text  # the child's name as the household registry has it
    assert "96.5" in text and "新城社区" in text  # the home with its area and community
    assert "实验小学" in text  # the zone school
    assert not Application.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    application = Application.objects.get()
    assert response.status_code == 302
    assert response.url == f"/enrollment/applications/{application.case.reference_no}/"
    assert not Draft.objects.filter(pk=draft.pk).exists()

    status = client.get(response.url)
    assert status.status_code == 200
    text = status.content.decode()
    application.refresh_from_db()
    assert application.state == State.QUALIFIED
    for check in application.checks.all():
        assert check.reason in text
    assert f"/api/v1/enrollment/applications/{application.case.reference_no}/notice.pdf" in text
    assert "实验小学" in text


def test_a_bad_id_number_is_a_field_error_on_its_step(english, family):
    family.load()
    english.force_login(family.guardian)
    draft_url = post_step(english, "/enrollment/apply/", {"stage": "primary", "year": YEAR}).url
    response = post_step(english, draft_url, {"child_id_number": "360426199101010072", "consent": "on"}, 400)
    text = response.content.decode()
    assert "check digit" in text
    assert 'aria-invalid="true"' in text
    response = post_step(english, draft_url, {"child_id_number": family.child}, 400)
    assert "only fetch the records with your authorisation" in response.content.decode()
    assert Draft.objects.get().step == 2


def test_a_registry_answer_goes_back_to_the_step_that_asked(english, family):
    """The ID is well-formed but nobody has it: the preview shows the service's error on step 2."""
    family.load()
    english.force_login(family.guardian)
    english.post("/enrollment/apply/", {"stage": "primary", "year": YEAR})
    draft = Draft.objects.get()
    unknown = new_id("2021-04-01", male=False)
    draft.data = json.dumps(
        {
            "child_id_number": unknown,
            "consent": True,
            "other_guardian_id_number": family.mother,
            "single_parent": False,
            "residence": "owned",
            "sibling_reference_no": "",
        }
    )
    draft.step = 7
    draft.save()
    response = english.get(f"/enrollment/apply/{draft.pk}/preview/")
    assert response.status_code == 400
    text = response.content.decode()
    assert "No child with this ID number is in the household registry" in text
    assert 'name="child_id_number"' in text


def test_someone_elses_child_is_refused_clearly(english, make_family):
    ours, theirs = make_family().load(), make_family().load()
    english.force_login(ours.guardian)
    english.post("/enrollment/apply/", {"stage": "primary", "year": YEAR})
    draft = Draft.objects.get()
    draft.data = json.dumps(
        {
            "child_id_number": theirs.child,
            "consent": True,
            "other_guardian_id_number": theirs.mother,
            "single_parent": False,
            "residence": "owned",
        }
    )
    draft.step = 7
    draft.save()
    response = english.get(f"/enrollment/apply/{draft.pk}/preview/")
    assert response.status_code == 403
    assert "do not show this child as yours" in response.content.decode()


def test_a_duplicate_links_to_the_existing_application(client, family, django_capture_on_commit_callbacks):
    first = submit(family.load(), django_capture_on_commit_callbacks)
    client.force_login(family.guardian)
    client.post("/enrollment/apply/", {"stage": "primary", "year": YEAR})
    draft = Draft.objects.get()
    draft.data = json.dumps(
        {
            "child_id_number": family.child,
            "consent": True,
            "other_guardian_id_number": family.mother,
            "single_parent": False,
            "residence": "owned",
        }
    )
    draft.step = 7
    draft.save()
    response = client.post(f"/enrollment/apply/{draft.pk}/preview/")
    assert response.status_code == 409
    assert f"/enrollment/applications/{first.case.reference_no}/" in response.content.decode()


def test_staff_cannot_use_the_parent_wizard(client, world):
    client.force_login(clerk_of("P1"))
    assert client.get("/enrollment/apply/").status_code == 403


# --- status pages -------------------------------------------------------------------------------------------


def test_a_parent_cannot_open_another_familys_application(
    client, make_family, django_capture_on_commit_callbacks
):
    ours, theirs = make_family().load(), make_family().load()
    theirs_app = submit(theirs, django_capture_on_commit_callbacks)
    client.force_login(ours.guardian)
    assert client.get(f"/enrollment/applications/{theirs_app.case.reference_no}/").status_code == 404
    assert (
        client.post(f"/enrollment/applications/{theirs_app.case.reference_no}/withdraw/").status_code == 404
    )
    client.force_login(theirs.guardian)
    page = client.get("/enrollment/")
    assert theirs_app.case.reference_no in page.content.decode()


def test_the_guardian_withdraws_after_confirming(client, family, django_capture_on_commit_callbacks):
    app = submit(family.load(), django_capture_on_commit_callbacks)
    client.force_login(family.guardian)
    url = f"/enrollment/applications/{app.case.reference_no}/withdraw/"
    assert client.get(url).status_code == 200
    app.refresh_from_db()
    assert app.state == State.QUALIFIED  # a GET only asks
    response = client.post(url, {"note": "搬家"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == State.WITHDRAWN
    response = client.post(url)  # twice: a clear message, not an error page
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200


# --- the counter ---------------------------------------------------------------------------------


def test_a_clerk_takes_in_an_application_for_a_family_without_an_account(
    client, family, django_capture_on_commit_callbacks
):
    family.add_twin()
    family.load()  # the father has an account; the mother applies at the counter and has none
    assert not User.objects.filter(real_name="李䶮").exists()
    clerk = clerk_of("P1")
    client.force_login(clerk)
    form = client.get("/enrollment/counter/")
    assert form.status_code == 200
    assert "autofocus" in form.content.decode() and 'accesskey="s"' in form.content.decode()

    data = {
        "guardian_id_number": family.mother,
        "child_id_number": family.child,
        "other_guardian_id_number": family.father,
        "residence": "owned",
        "stage": "primary",
        "year": YEAR,
        "originals": ["户口簿", "不动产权证"],
        "consent": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/enrollment/counter/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    application = Application.objects.get()
    assert response.url == f"/enrollment/counter/{application.case.reference_no}/"

    guardian = application.guardian
    assert guardian.username.startswith("id-") and len(guardian.username) == 15
    assert guardian.real_name == "李䶮" and guardian.is_real_name_verified and guardian.is_active
    assert application.case.channel == Channel.COUNTER
    assert application.case.visits == 1
    assert application.originals_seen == sorted(["户口簿", "不动产权证"])
    assert application.state == State.QUALIFIED

    receipt = client.get(response.url)
    assert receipt.status_code == 200
    text = receipt.content.decode()
    assert application.case.reference_no in text and "户口簿" in text
    assert "notice.pdf" in text

    # the same guardian again: the account is found by the ID's keyed hash, not created twice
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/enrollment/counter/", {**data, "child_id_number": family.children[1][0]})
    assert User.objects.filter(real_name="李䶮").count() == 1
    assert Application.objects.filter(guardian=guardian).count() == 2


def test_the_counter_shows_field_errors(english, world):
    english.force_login(clerk_of("P1"))
    response = english.post(
        "/enrollment/counter/",
        {
            "guardian_id_number": "360426199101010072",
            "child_id_number": "",
            "residence": "owned",
            "stage": "primary",
            "year": YEAR,
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "check digit" in text and "single-parent" in text and "authorisation" in text


def test_citizens_cannot_use_the_counter(client, family):
    client.force_login(family.load().guardian)
    assert client.get("/enrollment/counter/").status_code == 403
    assert client.get("/enrollment/review/").status_code == 403


# --- review ---------------------------------------------------------------------------------------


def test_the_review_queue_shows_only_applications_in_scope(
    client, make_family, django_capture_on_commit_callbacks
):
    here = needs_review(make_family(), django_capture_on_commit_callbacks)
    there = needs_review(make_family(), django_capture_on_commit_callbacks, community=ZONE_P2)
    assert (here.zone_school.code, there.zone_school.code) == ("P1", "P2")

    client.force_login(clerk_of("P1"))
    text = client.get("/enrollment/review/").content.decode()
    assert here.case.reference_no in text and there.case.reference_no not in text
    assert client.get(f"/enrollment/review/{there.case.reference_no}/").status_code == 404

    client.force_login(UserFactory(bureau=True, district=here.case.district))
    text = client.get("/enrollment/review/").content.decode()
    assert here.case.reference_no in text and there.case.reference_no in text
    filtered = client.get("/enrollment/review/", {"stage": "junior"}).content.decode()
    assert here.case.reference_no not in filtered


def test_a_clerk_approves_through_the_form(client, family, django_capture_on_commit_callbacks):
    app = needs_review(family, django_capture_on_commit_callbacks)
    client.force_login(clerk_of("P1"))
    page = client.get(f"/enrollment/review/{app.case.reference_no}/")
    assert page.status_code == 200
    assert app.checks.get(name="age").reason in page.content.decode()
    response = client.post(
        f"/enrollment/review/{app.case.reference_no}/approve/", {"approve-note": "户籍早于截止日"}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == State.QUALIFIED
    again = client.post(f"/enrollment/review/{app.case.reference_no}/approve/", {})
    assert again.status_code == 302  # not allowed now: a message, not a 500


def test_a_rejection_needs_a_reason(english, family, django_capture_on_commit_callbacks):
    app = needs_review(family, django_capture_on_commit_callbacks)
    english.force_login(clerk_of("P1"))
    url = f"/enrollment/review/{app.case.reference_no}/reject/"
    response = english.post(url, {"reject-note": "  "})
    assert response.status_code == 400
    assert "Give the reason for the rejection" in response.content.decode()
    assert english.post(url, {"reject-note": "年龄不足"}).status_code == 302
    app.refresh_from_db()
    assert app.state == State.REJECTED


def test_supplement_requested_then_uploaded_returns_to_review(
    client, family, django_capture_on_commit_callbacks
):
    app = needs_review(family, django_capture_on_commit_callbacks)
    clerk = clerk_of("P1")
    client.force_login(clerk)
    url = f"/enrollment/review/{app.case.reference_no}/supplement/"
    assert client.post(url, {"supplement-note": "", "supplement-due_working_days": 5}).status_code == 400
    response = client.post(url, {"supplement-note": "请上传出生医学证明", "supplement-due_working_days": 5})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == State.AWAITING_SUPPLEMENT and app.case.clock_paused

    client.force_login(family.guardian)
    status = client.get(f"/enrollment/applications/{app.case.reference_no}/").content.decode()
    assert "请上传出生医学证明" in status and 'enctype="multipart/form-data"' in status
    upload = SimpleUploadedFile("birth.pdf", tiny_pdf(), "application/pdf")
    response = client.post(
        f"/enrollment/applications/{app.case.reference_no}/supplement/",
        {"kind": "出生医学证明", "file": upload},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    app.refresh_from_db()
    assert app.state == State.NEEDS_REVIEW and not app.case.clock_paused
    assert app.case.attachments.count() == 1

    client.force_login(clerk)
    assert "birth.pdf" in client.get(f"/enrollment/review/{app.case.reference_no}/").content.decode()
