"""The enrollment flow in a real browser, phone-sized: a parent signs in with a one-time code (read from
the sandbox SMS inbox), goes through the wizard to a qualified application; a school clerk signs in with a
password and approves an application whose age check failed."""

import re

import pytest

from enrollment.models import Application, State
from enrollment.services import application_submit
from portal.orgs.models import School
from tests.enrollment.conftest import YEAR, Family, new_id
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13800009999"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory


class PhoneFamily(Family):
    """A Family whose father has a mobile number registered with the 户籍, so he can sign in."""

    phone = PHONE

    def payload(self) -> dict:
        data = super().payload()
        data["persons"][0]["phone"] = self.phone
        return data


def next_button(page):
    return page.locator("#main form.stacked button[type=submit]").last


def sign_in_with_code(page, base: str, phone: str) -> None:
    page.goto(f"{base}/enrollment/apply/")
    assert "/accounts/login/" in page.url  # login required, coming back here afterwards
    page.fill("#id_phone", phone)
    page.click("button[name=action][value=send]")
    page.wait_for_url(re.compile(r"step=code"))
    inbox = page.request.get(f"{base}/sandbox/sms/", params={"phone": phone}).json()
    page.fill("#id_code", inbox["messages"][0]["code"])
    page.click("button[name=action][value=verify]")
    page.wait_for_url(re.compile(r"/enrollment/apply/"))


def test_parent_completes_the_wizard_to_a_qualified_application(world, portal_url, phone_page, tmp_path):
    family = PhoneFamily(tmp_path).load()
    page = phone_page

    sign_in_with_code(page, portal_url, PHONE)
    assert "王𠈌" in page.inner_text("#main")  # the real-name verified name

    page.check("input[name=stage][value=primary]")
    page.check(f"input[name=year][value='{YEAR}']")
    next_button(page).click()

    page.wait_for_url(re.compile(r"/child/$"))
    page.fill("#id_child_id_number", family.child)
    page.check("#id_consent")
    next_button(page).click()

    page.wait_for_url(re.compile(r"/other-guardian/$"))
    page.fill("#id_other_guardian_id_number", family.mother)
    next_button(page).click()

    page.wait_for_url(re.compile(r"/school-record/$"))
    next_button(page).click()

    page.wait_for_url(re.compile(r"/residence/$"))
    page.check("input[name=residence][value=owned]")
    next_button(page).click()

    page.wait_for_url(re.compile(r"/family/$"))
    next_button(page).click()

    page.wait_for_url(re.compile(r"/preview/$"))
    preview = page.inner_text("#main")
    assert "王小𬌗" in preview and "实验小学" in preview
    page.locator("#main form:not(.step-list form) button.button--block").click()

    page.wait_for_url(re.compile(r"/enrollment/applications/JY-"))
    assert page.locator(".badge--qualified").first.is_visible()
    assert page.locator("a[href$='notice.pdf']").count() == 1
    page.screenshot(path=str(tmp_path / "qualified.png"), full_page=True)

    application = Application.objects.get(guardian__phone=PHONE)
    assert application.state == State.QUALIFIED  # verification ran on commit, in the live server
    assert application.checks.filter(result="pass").count() == application.checks.count() > 0


def test_clerk_approves_an_application_that_needs_review(world, portal_url, phone_page, tmp_path):
    family = Family(tmp_path)
    family.children = [(new_id("2021-09-01", male=True), "王小明", "2021-09-01")]  # a day too young
    family.load()
    application = application_submit(
        guardian=family.guardian,
        year=YEAR,
        stage="primary",
        child_id_number=family.child,
        other_guardian_id_number=family.mother,
        residence="owned",
        consent=True,
    )
    application.refresh_from_db()
    assert application.state == State.NEEDS_REVIEW  # the check ran on commit (transactional test)
    clerk = UserFactory(clerk=True, school=School.objects.get(code="P1"))
    reference_no = application.case.reference_no

    page = phone_page
    page.goto(f"{portal_url}/accounts/staff-login/?next=/enrollment/review/")
    page.fill("#id_username", clerk.username)
    page.fill("#id_password", PASSWORD)
    page.locator("#main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/enrollment/review/$"))

    page.click(f"text={reference_no}")
    page.wait_for_url(re.compile(rf"/enrollment/review/{reference_no}/$"))
    assert "2027-08-31" in page.inner_text("#main")  # the failed age check and its cut-off day
    page.fill("#id_approve-note", "户籍材料齐全，同意入学")
    page.locator("form[action$='/approve/'] button[type=submit]").click()

    page.wait_for_url(re.compile(rf"/enrollment/review/{reference_no}/$"))
    assert page.locator(".badge--qualified").first.is_visible()
    application.refresh_from_db()
    assert application.state == State.QUALIFIED
