"""Student aid in a real browser, phone-sized: a guardian applies for a child on 低保 and sees the level the
registries gave (一档) with its reason; the school's clerk approves from the queue into a public notice;
the public notice page shows the masked name, school and level — no ID number, no 低保."""

import re

import pytest
from django.test import Client

from portal.orgs.models import School
from tests.aid.conftest import Family, scheme, world  # noqa: F401 - fixtures reused here
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_archive_packages():
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


def signed_in(browser, base: str, user):
    """A phone-sized page with ``user``'s session (signing in itself is tested in the enrollment flow)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.set_default_timeout(20_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    return context.new_page()


def test_apply_see_the_level_approve_and_the_masked_notice(browser, portal_url, scheme, tmp_path):  # noqa: F811
    import datetime as dt

    from portal.cases.services import local_today

    today = local_today()  # the browser tests' fixed day (tests/enrollment/conftest.py)
    scheme.opens_on, scheme.closes_on, scheme.year = (
        today - dt.timedelta(days=10),
        today + dt.timedelta(days=60),
        today.year,
    )
    scheme.save()
    family = Family(tmp_path, welfare=[("dibao", (today + dt.timedelta(days=200)).isoformat())])
    page = signed_in(browser, portal_url, family.guardian)
    page.goto(f"{portal_url}/aid/apply/")
    page.select_option("#id_scheme_code", scheme.code)
    page.fill("#id_student_id_number", family.child_id)
    page.locator("#main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/aid/a/JY-AID-"))
    text = page.inner_text("#main")
    assert "一档" in text and "低保" in text  # the proposed level and its reason, shown to the family
    assert family.child_id not in text  # masked on screen
    reference_no = page.url.rstrip("/").rsplit("/", 1)[-1]

    clerk = UserFactory(clerk=True, school=School.objects.get(code="P1"))
    page = signed_in(browser, portal_url, clerk)
    page.goto(f"{portal_url}/aid/school/")
    page.check(f"input[aria-label='{reference_no}']")
    page.locator("#main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/aid/school/$"))

    public = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    public.goto(f"{portal_url}/notices/")
    notices = public.inner_text("body")
    assert "实验小学" in notices
    public.click("text=家庭经济困难学生资助")
    entry = public.inner_text("#main")
    assert "李*𠀀" in entry and "一档" in entry
    assert family.child_id not in entry and "低保" not in entry
