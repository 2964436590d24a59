"""Paying a bill in a real browser, phone-sized: a parent whose child has a kindergarten place signs in
with a one-time code, opens the month's care bill (payment code and QR code), pays it on the sandbox
payment platform's pay page, comes back to the bill marked paid by the platform's signed notification,
and gets the e-receipt (电子票据) — a PDF with the child's rare-character name and its receipt number."""

import re
import shutil
import subprocess

import pytest

from payments.billing import kindergarten_bills_issue
from payments.models import NotificationOutcome, Order, OrderState, PaymentNotification
from portal.orgs.models import School
from tests.enrollment.conftest import YEAR, Family
from tests.factories import ApplicationFactory
from tests.payments.factories import FeeItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13800008888"


class PhoneFamily(Family):
    """A Family whose father has a mobile number registered with the 户籍, so he can sign in."""

    def payload(self) -> dict:
        data = super().payload()
        data["persons"][0]["phone"] = PHONE
        return data


@pytest.fixture(autouse=True)
def _no_archive_packages():
    """The care bill belongs to the child's enrollment case, which stays open; nothing to archive here."""
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


@pytest.fixture
def platform_url(portal_url, settings):
    """The portal reaches the sandbox payment platform on the live server, like the other stand-ins."""
    settings.PAYMENT_PLATFORM_URL = f"{portal_url}/sandbox/payments/api/"
    return portal_url


def test_a_parent_pays_the_kindergarten_bill_on_the_platform_and_gets_the_receipt(
    world, platform_url, phone_page, tmp_path
):
    portal_url = platform_url
    family = PhoneFamily(tmp_path).load()
    kindergarten = School.objects.get(code="K1")
    ApplicationFactory(
        stage="kindergarten",
        admitted=True,
        year=YEAR,
        district=world,
        zone=kindergarten,
        guardian=family.guardian,
        child_id_number=family.child,
        child_name="王小𬌗",
    )
    FeeItemFactory(district=world, code="kg-care", name="保育费", amount_fen=68000)
    run = kindergarten_bills_issue(year=YEAR, month=9)  # registered with the platform on commit
    order = Order.objects.get(order_no=run.issued[0])
    assert order.payment_code, order.last_platform_error

    page = phone_page
    page.goto(f"{portal_url}/payments/")
    assert "/accounts/login/" in page.url
    page.fill("#id_phone", PHONE)
    page.click("button[name=action][value=send]")
    page.wait_for_url(re.compile(r"step=code"))
    inbox = page.request.get(f"{portal_url}/sandbox/sms/", params={"phone": PHONE}).json()
    page.fill("#id_code", inbox["messages"][0]["code"])
    page.click("button[name=action][value=verify]")
    page.wait_for_url(re.compile(r"/payments/$"))

    page.click(f"a[href$='/payments/orders/{order.order_no}/']")
    page.wait_for_url(re.compile(rf"/payments/orders/{order.order_no}/$"))
    assert page.inner_text("#payment-code") == order.payment_code
    assert (
        "¥680.00" in page.inner_text("#main") and page.locator("img[src^='data:image/svg+xml']").count() == 1
    )

    page.click("#pay-now")
    page.wait_for_url(re.compile(rf"/sandbox/payments/pay/{order.payment_code}/$"))
    assert "680.00" in page.inner_text("#amount")
    page.screenshot(path=str(tmp_path / "platform.png"), full_page=True)
    page.click("#pay")

    page.wait_for_url(re.compile(rf"/payments/orders/{order.order_no}/\?platform_status=paid$"))
    assert page.locator(".badge--paid").first.is_visible()
    order.refresh_from_db()
    assert order.state == OrderState.PAID and order.paid_via == "notification"
    assert page.inner_text("#receipt-no") == order.receipt_no
    assert list(PaymentNotification.objects.values_list("outcome", flat=True)) == [
        NotificationOutcome.APPLIED
    ]
    page.screenshot(path=str(tmp_path / "paid.png"), full_page=True)

    href = page.get_attribute("#receipt-link", "href")
    receipt = page.request.get(f"{portal_url}{href}")
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(receipt.body())
    if shutil.which("pdftotext"):
        text = "".join(
            subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True
            ).stdout.split()
        )
        assert order.receipt_no in text and "王小𬌗" in text and "陆佰捌拾元整" in text
