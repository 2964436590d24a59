"""Private-school licensing in a real browser: the institution's representative signs in with a code and
applies (the premises' title is not in the real-estate registry, so it becomes an upload), uploads the key
materials; the bureau accepts with that material missing (容缺); five departments approve, each signed in
to its own queue; the bureau approves (the licence waits); the supplement arrives, the licence is issued,
and its QR code opens the public verification page that says it is valid."""

import datetime as dt
import re
import subprocess

import pytest

from licensing.models import Application
from licensing.models import ApplicationState as S
from portal.orgs.models import Department
from sandbox import models as reg
from tests.factories import DistrictFactory, UserFactory, tiny_pdf
from tests.licensing.conftest import ADDRESS, CREDIT, DEPARTMENTS, REP_ID, REP_NAME

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900002222"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory
KEY_UPLOADS = ["申办报告", "学校章程", "资产来源、资金数额及有效证明文件"]
PREMISES = "校舍不动产信息"


@pytest.fixture
def licensing_world(db):
    district = DistrictFactory(code="330411", name="秀洲区")
    reviewers = {}
    for code, name in DEPARTMENTS:
        department = Department.objects.create(code=code, name=name)
        reviewers[code] = UserFactory(reviewer=True, department=department, real_name=f"审核{code}")
    bureau = UserFactory(bureau=True, district=district, real_name="陈科长")
    reg.Person.objects.create(
        id_number=REP_ID, name=REP_NAME, gender="M", birth_date=dt.date(1980, 5, 6), phone=PHONE
    )
    reg.Enterprise.objects.create(
        credit_code=CREDIT, name="嘉兴市秀洲区启明教育咨询有限公司", legal_rep_id=REP_ID, status="active",
        address=ADDRESS,
    )  # fmt: skip
    return bureau, reviewers


def sign_in_with_code(page, base: str, phone: str, start: str) -> None:
    page.goto(f"{base}{start}")
    assert "/accounts/login/" in page.url
    page.fill("#id_phone", phone)
    page.click("button[name=action][value=send]")
    page.wait_for_url(re.compile(r"step=code"))
    inbox = page.request.get(f"{base}/sandbox/sms/", params={"phone": phone}).json()
    page.fill("#id_code", next(m["code"] for m in inbox["messages"] if m["code"]))  # the newest code
    page.click("button[name=action][value=verify]")
    page.wait_for_url(re.compile(re.escape(start) + "$"))


def staff_sign_in(page, base: str, user, start: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/staff-login/?next={start}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("#main form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(start) + "$"))


def submit(page, selector: str) -> None:
    """Click a form's button and wait for the answer (a POST that redirects back to the same page)."""
    with page.expect_navigation():
        page.locator(selector).click()


def material_status(page, name: str) -> str:
    return page.inner_text(f"tr[data-material='{name}'] td:last-child").strip()


def upload(page, tmp_path, name: str) -> None:
    path = tmp_path / f"{len(name)}-{abs(hash(name))}.pdf"
    path.write_bytes(tiny_pdf(name))
    page.select_option("#id_kind", name)
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    assert material_status(page, name) == "已上传", page.inner_text("#main")[:800]


def test_apply_with_rongque_joint_review_supplement_licence_verified(
    licensing_world, portal_url, phone_page, browser, tmp_path
):
    bureau, reviewers = licensing_world
    page = phone_page  # the representative's phone; the staff work at their desks
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    desk.set_default_timeout(20_000)
    staff = desk.new_page()

    # the representative applies
    sign_in_with_code(page, portal_url, PHONE, "/licensing/apply/")
    assert "筹设" in page.inner_text("#main") and PREMISES in page.inner_text("#main")  # lists per kind
    page.select_option("#id_kind", "establishment")
    page.fill("#id_credit_code", "91350100M000100Y4Z")  # a wrong check character first
    page.fill("#id_school_name", "秀洲区启明𠈌学校")
    page.select_option("#id_level", "primary")
    page.fill("#id_address", ADDRESS)
    page.fill("#id_capacity", "480")
    with page.expect_navigation():
        page.locator("#main form button[type=submit]").last.click()
    assert "统一社会信用代码" in page.inner_text("#main") and "/licensing/apply/" in page.url
    page.fill("#id_credit_code", CREDIT)
    page.locator("#main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/licensing/applications/JY-PSL-"))
    reference_no = page.url.rstrip("/").rsplit("/", 1)[1]
    assert material_status(page, "举办者主体资格信息") == "已获取"
    assert material_status(page, PREMISES) == "未上传"  # no title at the address: an upload now
    for name in KEY_UPLOADS:
        upload(page, tmp_path, name)
    page.screenshot(path=str(tmp_path / "applied.png"), full_page=True)

    # the bureau accepts with the premises' material missing (容缺)
    staff_sign_in(staff, portal_url, bureau, f"/licensing/bureau/{reference_no}/")
    assert PREMISES in staff.inner_text("#main")
    submit(staff, "form[action$='/approve/'] button[type=submit]")
    application = Application.objects.get(case__reference_no=reference_no)
    assert application.state == S.IN_JOINT_REVIEW and application.missing_materials == [PREMISES]
    assert application.reviews.count() == 5

    # five departments approve, each from its own queue
    for code, _name in DEPARTMENTS:
        staff_sign_in(staff, portal_url, reviewers[code], "/licensing/department/")
        staff.click(f"text={reference_no}")
        staff.wait_for_url(re.compile(rf"/licensing/department/{reference_no}/$"))
        staff.locator("form[action$='/approve/'] textarea").fill(f"{code} 同意")
        submit(staff, "form[action$='/approve/'] button[type=submit]")
    application.refresh_from_db()
    assert application.state == S.AWAITING_BUREAU
    assert application.case.events.filter(action="licensing.sent_to_bureau").count() == 1

    # the bureau approves: the licence waits for the supplement
    staff_sign_in(staff, portal_url, bureau, f"/licensing/bureau/{reference_no}/")
    submit(staff, "form[action$='/approve/'] button[type=submit]")
    application.refresh_from_db()
    assert application.state == S.APPROVED and not application.licence_no

    # the supplement arrives: the licence is issued at once
    page.goto(f"{portal_url}/licensing/applications/{reference_no}/")  # still signed in
    assert material_status(page, PREMISES) == "待补正（容缺）"
    upload(page, tmp_path, PREMISES)
    submit(page, "form[action$='/supplement/'] button[type=submit]")
    application.refresh_from_db()
    assert application.state == S.LICENCE_ISSUED and application.licence_no in page.inner_text("#main")
    page.screenshot(path=str(tmp_path / "issued.png"), full_page=True)

    # its QR code (decoded from the PDF) and the page's link open the verification page: valid
    verify_link = page.get_attribute("#main a[href*='/verify/']", "href")
    pdf = page.request.get(
        f"{portal_url}/api/v1/licensing/applications/{reference_no}/licence.pdf", timeout=90_000
    )
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    (tmp_path / "licence.pdf").write_bytes(pdf.body())
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "150",
            "-singlefile",
            str(tmp_path / "licence.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert decoded == verify_link and decoded.startswith(f"{portal_url}/verify/")
    desk.close()
    page.context.clear_cookies()  # the public, signed out
    page.goto(decoded)
    assert page.locator(".verdict--valid").is_visible()
    assert "民办学校办学许可证" in page.inner_text("#main")
    page.screenshot(path=str(tmp_path / "verified.png"), full_page=True)
