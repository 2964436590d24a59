"""Retrieval: a school's staff find and download the packages of their students (each download logged);
another school's staff get 404 and leave no log. Bureau staff see the four-properties check item by item
and the packages due for disposal review. Bad filter input is a field error, not a 500."""

import datetime as dt
import io
import zipfile

import pytest

from archive.checks import LABELS
from archive.models import ArchivePackage, PackageCheck, PackageDownload
from archive.services import archive_case
from portal.cases.models import CaseEvent
from portal.catalog.models import RetentionPeriod
from tests.factories import CaseInStatusFactory, ServiceItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def package(closed_case):
    return ArchivePackage.objects.get(case=closed_case())


def urls(package) -> dict[str, str]:
    code = package.archival_code
    return {
        "detail": f"/archive/{code}/",
        "zip": f"/archive/{code}/package.zip",
        "pdf": f"/archive/{code}/document.pdf",
        "check": f"/archive/{code}/check/",
    }


def test_the_schools_clerk_finds_and_downloads_and_every_download_is_logged(client, package, clerk):
    client.force_login(clerk)
    listing = client.get("/archive/", {"q": "小𬌗"})
    assert listing.status_code == 200 and package.archival_code in listing.content.decode()
    assert package.archival_code in client.get("/archive/", {"q": package.case.reference_no}).content.decode()
    assert package.archival_code not in client.get("/archive/", {"q": "张三"}).content.decode()
    assert client.get(urls(package)["detail"]).status_code == 200

    response = client.get(urls(package)["zip"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert sorted(names) == sorted(
        f"{package.archival_code}/{p}"
        for p in [
            "document.pdf",
            "manifest.xml",
            "attachments/01-户口簿_首页.pdf",
            "attachments/02-photo.png",
        ]
    )
    pdf = client.get(urls(package)["pdf"])
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")

    log = list(PackageDownload.objects.filter(package=package).order_by("pk").values_list("by", "what"))
    assert log == [(clerk.pk, "package"), (clerk.pk, "document")]


def test_another_schools_clerk_and_citizens_are_refused(client, package, other_clerk):
    client.force_login(other_clerk)
    assert (
        package.archival_code
        not in client.get("/archive/", {"q": package.case.reference_no}).content.decode()
    )
    for url in urls(package).values():
        assert client.get(url).status_code in (403, 404), url  # the check page is for bureau staff only
    assert client.get(urls(package)["zip"]).status_code == 404
    assert client.get(urls(package)["pdf"]).status_code == 404
    assert not PackageDownload.objects.exists()

    client.force_login(package.case.applicant)  # a citizen
    assert client.get("/archive/").status_code == 403
    assert client.get(urls(package)["pdf"]).status_code == 403


def test_bureau_staff_see_each_check_item_and_run_the_check_again(client, package, bureau, clerk):
    client.force_login(bureau)
    page = client.get(urls(package)["check"]).content.decode()
    for code in ("signature", "digest", "metadata", "trace", "pdfa", "fonts", "active_content", "undeclared"):
        assert str(LABELS[code]) in page, code
    assert page.count("badge--qualified") >= 20 and "badge--rejected" not in page

    response = client.post(urls(package)["check"])
    assert response.status_code == 302
    assert PackageCheck.objects.filter(package=package, by=bureau, trigger="page", passed=True).exists()

    client.force_login(clerk)
    assert client.get(urls(package)["check"]).status_code == 403
    assert client.post(urls(package)["check"]).status_code == 403


def test_other_districts_bureau_staff_cannot_see_the_package(client, package):
    from tests.factories import DistrictFactory

    stranger = UserFactory(bureau=True, district=DistrictFactory(code="330402", name="南湖区"))
    client.force_login(stranger)
    assert client.get(urls(package)["check"]).status_code == 404
    assert client.get(urls(package)["detail"]).status_code == 404


def test_packages_due_for_disposal_review(client, bureau, district, school):
    def archived(code, retention, closed_year):
        service = ServiceItemFactory(code=code, retention_period=retention)
        case = CaseInStatusFactory(
            done=True,
            service=service,
            district=district,
            school=school,
            closed_at=dt.datetime(closed_year, 6, 1, 2, 0, tzinfo=dt.UTC),
        )
        CaseEvent.objects.create(
            case=case, seq=1, actor_label="系统", action="submitted", to_state="submitted"
        )
        CaseEvent.objects.create(
            case=case,
            seq=2,
            actor_label="系统",
            action="status_changed",
            from_state="submitted",
            to_state="done",
        )
        return archive_case(case_id=case.pk)

    old = archived("R1", RetentionPeriod.Y10, 2010)  # due 2021-01-01: past
    archived("R2", RetentionPeriod.PERMANENT, 2010)  # never due
    recent = archived("R3", RetentionPeriod.Y30, 2025)  # due 2056-01-01
    assert (old.review_due, recent.review_due) == (dt.date(2021, 1, 1), dt.date(2056, 1, 1))

    client.force_login(bureau)
    page = client.get("/archive/retention/").content.decode()
    assert old.archival_code in page and recent.archival_code not in page
    assert ArchivePackage.objects.filter(review_due__isnull=True).count() == 1

    bad = client.get("/archive/retention/", {"within_days": "-5"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()


def test_bad_filters_are_field_errors(client, clerk):
    client.force_login(clerk)
    response = client.get("/archive/", {"year": "20x6", "service": "E N R"})
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count('class="errorlist"') >= 2


def test_the_admin_shows_packages_but_cannot_change_or_delete_them(client, package):
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    assert client.get("/admin/archive/archivepackage/").status_code == 200
    change = f"/admin/archive/archivepackage/{package.pk}/change/"
    assert client.get(change).status_code == 200
    assert client.post(change, {"title": "改"}).status_code == 403
    assert (
        client.post(f"/admin/archive/archivepackage/{package.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert client.get("/admin/archive/archivepackage/add/").status_code == 403
    package.refresh_from_db()
    assert package.title != "改"
