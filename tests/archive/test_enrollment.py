"""Enrollment, the archive's first user: a finished application (qualified through the real path —
submit → verification task → sandbox registries → rules — then withdrawn by the guardian, or rejected by a
clerk) yields a package that passes every check, with enrollment's own part in the document and data."""

import json

import pytest
from pypdf import PdfReader

from archive.checks import check_package
from archive.models import ArchivePackage
from archive.services import package_folder
from enrollment.models import State
from enrollment.services import (
    application_reject,
    application_withdraw,
)
from tests.archive.helpers import poppler
from tests.enrollment import conftest as enrollment_world
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
YEAR = enrollment_world.YEAR
# the enrollment test world (district, schools, rules, registry families) as fixtures of this module
_enrollment_settings = enrollment_world._enrollment_settings
world = enrollment_world.world
family = enrollment_world.family
submit = enrollment_world.submit


def test_a_withdrawn_enrollment_case_yields_a_package_that_passes_every_check(
    family, django_capture_on_commit_callbacks
):
    fam = family.load()
    application = submit(fam, django_capture_on_commit_callbacks)
    assert application.state == State.QUALIFIED
    with django_capture_on_commit_callbacks(execute=True):
        application_withdraw(application=application, by=fam.guardian, note="已就读民办学校")

    package = ArchivePackage.objects.get(case=application.case)
    folder = package_folder(package)
    report = check_package(folder)
    assert report.passed, report.failures
    assert package.retention_period == "30y" and "-D30-JY-ENR-" in package.archival_code
    assert package.title == f"王小𬌗 {YEAR}年小学入学申请"

    text = poppler("pdftotext", folder / "document.pdf", "-enc", "UTF-8")
    flat = "".join(text.split())
    for expected in ("王小𬌗", "申请表", "证据摘要", "办理决定", "实验小学", "已就读民办学校", "王𠈌"):
        assert expected in flat, expected
    assert application.child_id_number not in flat

    data = json.loads(PdfReader(folder / "document.pdf").attachments["case-data.json"][0])
    service = data["service_data"]
    assert service["application"]["child_name"] == "王小𬌗" and service["decision"]["state"] == "withdrawn"
    assert {c["name"] for c in service["checks"]} >= {"age", "residence"}
    assert service["registry_lookups"] and all(
        lookup["answer_sha256"] is not None for lookup in service["registry_lookups"]
    )
    closing = [e for e in data["trace"] if e["to"] in ("done", "rejected", "withdrawn")]
    assert closing[-1]["to"] == "withdrawn"
    assert data["trace"][-1]["action"] == "documents.revoked"  # the place notice, revoked with the case


def test_a_rejected_enrollment_case_is_archived_with_the_reason(
    family, world, django_capture_on_commit_callbacks
):
    fam = family
    fam.homes = []  # no home in the zone: the residence check fails, a clerk decides
    fam.load()
    application = submit(fam, django_capture_on_commit_callbacks)
    assert application.state == State.NEEDS_REVIEW
    clerk = UserFactory(clerk=True, school=application.case.school)
    with django_capture_on_commit_callbacks(execute=True):
        application_reject(application=application, by=clerk, note="施教区内无住房，请按随迁子女申请")

    package = ArchivePackage.objects.get(case=application.case)
    assert check_package(package_folder(package)).passed
    text = "".join(poppler("pdftotext", package_folder(package) / "document.pdf", "-enc", "UTF-8").split())
    failed = application.checks.filter(result="fail").first()
    assert "施教区内无住房，请按随迁子女申请" in text and "".join(failed.reason.split()) in text
