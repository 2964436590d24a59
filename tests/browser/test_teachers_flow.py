"""A teacher certificate in a real browser, phone-sized: a teacher signs in with a one-time code and applies;
the medical result needs a look, so bureau staff sign in with a password and approve; the teacher
downloads the certificate, decodes the QR code printed on it and verifies the certificate at that address;
the sandbox courier's tester marks the parcel delivered, and the teacher sees it delivered."""

import re
import shutil
import subprocess

import pytest

from sandbox import models as reg
from teachers.models import ApplicationWindow, CertificateApplication, CertificateState
from tests.factories import UserFactory
from tests.teachers import conftest as teachers_world
from tests.teachers.conftest import ADDRESS, TEACHER_ID

# the teachers test world's fixtures, reused here
_fast_exchange = teachers_world._fast_exchange
_no_archive_packages = teachers_world._no_archive_packages
district = teachers_world.district
records = teachers_world.records

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13800007777"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory


@pytest.fixture
def courier_url(portal_url, settings):
    """The portal reaches the sandbox courier on the live server, like the other stand-ins."""
    settings.COURIER_BASE_URL = f"{portal_url}/sandbox/courier/api/"
    settings.TEACHERS_LOOKUP_WORKERS = 1
    return portal_url


def sign_in_with_code(page, base: str, phone: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    assert "/accounts/login/" in page.url
    page.fill("#id_phone", phone)
    page.click("button[name=action][value=send]")
    page.wait_for_url(re.compile(r"step=code"))
    inbox = page.request.get(f"{base}/sandbox/sms/", params={"phone": phone}).json()
    page.fill("#id_code", inbox["messages"][0]["code"])
    page.click("button[name=action][value=verify]")
    page.wait_for_url(re.compile(next_path))


def qr_code_of(pdf: bytes, tmp_path) -> str:
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-singlefile",
            tmp_path / "certificate.pdf",
            tmp_path / "certificate",
        ],
        check=True,
    )
    return subprocess.run(
        ["zbarimg", "--raw", "-q", tmp_path / "certificate.png"], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def window(district):
    """Open around the portal's today (the browser tests run on enrollment's date, tests/browser/conftest)."""
    import datetime as dt

    from portal.cases.services import local_today

    today = local_today()
    return ApplicationWindow.objects.create(
        district=district,
        name="春季教师资格认定",
        opens_on=today - dt.timedelta(days=5),
        closes_on=today + dt.timedelta(days=20),
    )


def test_apply_approve_download_verify_and_delivered(
    district,
    window,
    records,
    courier_url,
    browser,
    phone_page,
    tmp_path,  # noqa: F811 - fixtures imported above
):
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("poppler-utils and zbar-tools are needed to read the QR code")
    base = courier_url
    reg.Person.objects.filter(id_number=TEACHER_ID).update(phone=PHONE)  # the IdP knows the mobile number
    reg.MedicalReport.objects.filter(pk=records["medical"].pk).update(result="unfit")  # → the bureau's review
    page = phone_page

    # the teacher applies
    sign_in_with_code(page, base, PHONE, "/teachers/apply/")
    page.select_option("#id_stage", "junior")
    page.fill("#id_subject", "语文")
    page.fill("#id_exam_pass_no", "JS2026001")
    page.fill("#id_mandarin_cert_no", "PTH2026001")
    page.fill("#id_medical_report_no", "TJ2026001")
    page.fill("#id_delivery_address", ADDRESS)
    page.locator("#main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/teachers/certificates/JY-TCH-"))
    reference_no = page.url.rstrip("/").rsplit("/", 1)[1]
    application = CertificateApplication.objects.get(case__reference_no=reference_no)
    assert application.state == CertificateState.NEEDS_REVIEW  # the checks ran on commit, in the live server
    assert "体检" in page.inner_text("#main")  # the reason is shown

    # bureau staff approve
    bureau = UserFactory(bureau=True, district=district)
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    staff.set_default_timeout(20_000)
    desk = staff.new_page()
    desk.goto(f"{base}/accounts/staff-login/?next=/teachers/review/")
    desk.fill("#id_username", bureau.username)
    desk.fill("#id_password", PASSWORD)
    desk.locator("#main form button[type=submit]").click()
    desk.wait_for_url(re.compile(r"/teachers/review/$"))
    desk.click(f"text={reference_no}")
    desk.wait_for_url(re.compile(rf"/teachers/review/{reference_no}/$"))
    desk.locator("form[action$='/approve/'] textarea").fill("复查体检合格")
    desk.locator("form[action$='/approve/'] button[type=submit]").click()
    desk.wait_for_url(re.compile(rf"/teachers/review/{reference_no}/$"))
    application.refresh_from_db()
    assert application.state == CertificateState.CERTIFICATE_ISSUED
    assert application.certificate_no in desk.inner_text("#main")
    staff.close()

    # the teacher downloads the certificate and verifies it by its QR code
    page.reload()
    assert page.locator(".certificate-no").inner_text() == application.certificate_no
    tracking_no = page.locator(".tracking-no").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{8,}", tracking_no)
    pdf = page.request.get(base + page.locator("a.certificate-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    verify_url = qr_code_of(pdf.body(), tmp_path)
    assert re.fullmatch(rf"{re.escape(base)}/verify/[A-Za-z0-9_-]{{22,64}}/", verify_url)
    assert page.locator("a.verify-link").get_attribute("href") == verify_url  # the page shows the same
    page.goto(verify_url)
    verdict = page.inner_text("#main")
    assert "有效" in verdict and "张*" in verdict and application.certificate_no in verdict
    code = verify_url.rstrip("/").rsplit("/", 1)[1]
    assert page.request.get(f"{base}/api/v1/verify/{code}/").json()["status"] == "valid"

    # the courier delivers it (the sandbox courier's tester page; its signed callback reaches the portal)
    page.goto(f"{base}/sandbox/courier/")
    parcel = page.locator("section.panel", has=page.locator(".tracking-no", has_text=tracking_no))
    parcel.locator("button", has_text="签收").click()
    page.wait_for_load_state()
    page.goto(f"{base}/teachers/certificates/{reference_no}/")
    assert page.locator("[data-delivery-status=delivered]").is_visible()
    application.refresh_from_db()
    assert application.state == CertificateState.DELIVERED and application.case.status == "done"
    page.screenshot(path=str(tmp_path / "delivered.png"), full_page=True)
