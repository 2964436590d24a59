"""A transfer (转学) in a real browser: the guardian applies on a phone-sized page naming the receiving
school; the receiving school's clerk, the sending school's clerk and the bureau each open it from their
queue and approve it on the case page; the guardian then sees it completed and the record has moved.

Signing in is not what this tests (tests/browser/test_enrollment_flow.py does it with a one-time code):
each person's browser gets the session cookie of a signed-in Django session."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from studentstatus.models import Transfer, TransferState
from studentstatus.services.records import record_by_id_number
from tests.studentstatus.conftest import _today, family, staff, world  # noqa: F401 - fixtures reused here

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_archive_packages():
    """The completed transfer closes its case; packaging it is the archive's business (tests/archive)."""
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


def _label(state) -> str:
    with translation.override("zh-hans"):
        return str(state.label)


def _signed_in(browser, portal_url, user, **context):
    client = Client()
    client.force_login(user)
    ctx = browser.new_context(locale="zh-CN", **context)
    ctx.set_default_timeout(20_000)
    ctx.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": portal_url,
            }
        ]
    )
    return ctx, ctx.new_page()


def test_a_guardian_applies_and_three_approvals_complete_the_transfer(
    portal_url,
    browser,
    family,  # noqa: F811 - the fixtures imported above
    staff,  # noqa: F811
):
    guardian_ctx, page = _signed_in(
        browser, portal_url, family.guardian, viewport={"width": 390, "height": 844}
    )
    page.goto(f"{portal_url}/studentstatus/transfers/apply/")
    page.fill("#id_student_id_number", family.child_id)
    page.fill("#id_to_school_code", "P2")
    page.fill("#id_reason", "家庭住址变动")
    page.click("form:has(#id_reason) button[type=submit]")
    page.wait_for_url(re.compile(r"/studentstatus/transfers/JY-TRF-"))
    reference_no = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert _label(TransferState.AWAITING_RECEIVING) in page.content()

    for who, shown_after in (
        ("P2", TransferState.AWAITING_SENDING),
        ("P1", TransferState.AWAITING_BUREAU),
        ("bureau", TransferState.COMPLETED),
    ):
        ctx, staff_page = _signed_in(browser, portal_url, staff[who])
        staff_page.goto(f"{portal_url}/studentstatus/queue/")
        staff_page.click(f"a:has-text('{reference_no}')")
        staff_page.wait_for_url(re.compile(reference_no))
        approve = staff_page.locator("form:has(input[name=action][value=approve])")
        approve.locator("input[name=note]").fill("同意")
        approve.locator("button").click()
        staff_page.wait_for_load_state()
        assert _label(shown_after) in staff_page.content(), who
        ctx.close()

    page.reload()
    assert _label(TransferState.COMPLETED) in page.content()
    transfer = Transfer.objects.get(case__reference_no=reference_no)
    assert transfer.state == TransferState.COMPLETED and transfer.case.status == "done"
    assert record_by_id_number(family.child_id).school.code == "P2"
    guardian_ctx.close()
