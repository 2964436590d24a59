"""A session that times out mid-wizard loses nothing (issue 13 item 6): the draft is kept on the server
per user, the sign-in page sends the parent back (``next=``) to the step they were on, and answers posted
after the time-out are shown again on that step once signed in. Signs in through the real OTP pages, the
code read from the sandbox SMS inbox."""

import datetime as dt
import json

import pytest

from enrollment.models import Draft
from tests.enrollment.conftest import DEMO_CHILD, DEMO_MOTHER, DEMO_PHONE, YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _codes_without_waiting(settings):
    settings.OTP_RESEND_INTERVAL = dt.timedelta(0)  # the test signs in twice within a minute


def sign_in(client, capture, *, expect_next: str):
    """The OTP sign-in after being sent to the login page; returns where the portal sends the parent."""
    with capture(execute=True):
        sent = client.post("/accounts/login/", {"action": "send", "phone": DEMO_PHONE})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    inbox = client.get("/sandbox/sms/", {"phone": DEMO_PHONE}, HTTP_ACCEPT="application/json").json()
    code = inbox["messages"][0]["code"]
    response = client.post("/accounts/login/", {"action": "verify", "code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == expect_next
    return response.url


def time_out(client):
    """What the 30 idle minutes do: the server-side session is gone (the browser keeps its cookie)."""
    client.session.flush()
    assert "_auth_user_id" not in client.session


def fill_steps_1_and_2(client, capture):
    page = client.get("/enrollment/apply/")
    assert page.status_code == 302 and page.url.startswith("/accounts/login/?next=/enrollment/apply/")
    client.get(page.url)
    sign_in(client, capture, expect_next="/enrollment/apply/")
    step2 = client.post("/enrollment/apply/", {"stage": "primary", "year": YEAR}).url
    step3 = client.post(step2, {"child_id_number": DEMO_CHILD, "consent": "on"}).url
    assert step3.endswith("/other-guardian/")
    return step2, step3


def test_after_a_time_out_the_parent_signs_in_again_and_lands_on_the_same_step(
    client, demo_world, django_capture_on_commit_callbacks
):
    step2, step3 = fill_steps_1_and_2(client, django_capture_on_commit_callbacks)
    time_out(client)

    away = client.get(step3)
    assert away.status_code == 302
    assert away.url.startswith("/accounts/login/") and f"next={step3}" in away.url
    assert client.get(away.url).status_code == 200
    sign_in(client, django_capture_on_commit_callbacks, expect_next=step3)

    page = client.get(step3)
    assert page.status_code == 200
    assert page.context["step"].slug == "other-guardian"
    back = client.get(step2)  # the answers of step 2 are still there
    assert back.context["form"].initial["child_id_number"] == DEMO_CHILD
    assert back.context["form"].initial["consent"] is True
    draft = Draft.objects.get()
    assert draft.step == 3 and json.loads(draft.data)["child_id_number"] == DEMO_CHILD


def test_answers_sent_after_the_time_out_are_kept_over_the_sign_in(
    client, demo_world, django_capture_on_commit_callbacks
):
    """The parent types the other guardian's ID, the session has expired meanwhile, they press Continue:
    after signing in they are on the same step with what they typed, and can go on."""
    _, step3 = fill_steps_1_and_2(client, django_capture_on_commit_callbacks)
    time_out(client)

    posted = client.post(step3, {"other_guardian_id_number": DEMO_MOTHER})
    assert posted.status_code == 302 and posted.url.startswith("/accounts/login/")
    assert f"next={step3}" in posted.url
    client.get(posted.url)
    sign_in(client, django_capture_on_commit_callbacks, expect_next=step3)

    page = client.get(step3)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.is_bound and form.data["other_guardian_id_number"] == DEMO_MOTHER
    assert DEMO_MOTHER in page.content.decode()  # in the input, ready to send again
    assert "刚才填写的内容已为您保留" in page.content.decode()  # and why
    session_rows = json.dumps(dict(client.session.items()), ensure_ascii=False, default=str)
    assert DEMO_MOTHER not in session_rows  # not kept in the session in clear

    assert client.get(step3).context["form"].is_bound is False  # shown once, then the saved answers
    step4 = client.post(step3, {"other_guardian_id_number": DEMO_MOTHER})
    assert step4.status_code == 302 and step4.url.endswith("/school-record/")
    assert json.loads(Draft.objects.get().data)["other_guardian_id_number"] == DEMO_MOTHER
