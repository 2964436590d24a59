"""/api/v1/archive/: the same scope and download log as the pages, JSON field errors for bad filters."""

import pytest
from rest_framework.test import APIClient

from archive.models import ArchivePackage, PackageDownload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def package(closed_case):
    return ArchivePackage.objects.get(case=closed_case(attachments=False))


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_staff_in_scope_list_read_and_download_with_a_log(package, clerk):
    listing = api(clerk).get("/api/v1/archive/packages/", {"q": package.case.reference_no})
    assert listing.status_code == 200
    rows = listing.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [r["archival_code"] for r in rows] == [package.archival_code]

    detail = api(clerk).get(f"/api/v1/archive/packages/{package.archival_code}/").json()
    assert (
        detail["reference_no"] == package.case.reference_no and detail["parts"][0]["path"] == "document.pdf"
    )

    pdf = api(clerk).get(f"/api/v1/archive/packages/{package.archival_code}/document.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF-")
    assert list(PackageDownload.objects.values_list("by", "what")) == [(clerk.pk, "document")]


def test_other_schools_and_citizens_are_refused(package, other_clerk):
    code = package.archival_code
    assert api(other_clerk).get("/api/v1/archive/packages/").json() in (
        [],
        {"count": 0, "next": None, "previous": None, "results": []},
    )
    assert api(other_clerk).get(f"/api/v1/archive/packages/{code}/").status_code == 404
    assert api(other_clerk).get(f"/api/v1/archive/packages/{code}/document.pdf").status_code == 404
    citizen = UserFactory()
    assert api(citizen).get("/api/v1/archive/packages/").status_code == 403
    assert not PackageDownload.objects.exists()


def test_bad_filters_are_field_errors(clerk):
    response = api(clerk).get("/api/v1/archive/packages/", {"year": "soon"})
    assert response.status_code == 400 and "year" in response.json()
