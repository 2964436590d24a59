"""A closed case yields exactly one sealed package, made by the real path (case_closed signal → on_commit →
task), that passes every item of the four-properties check; it is never rewritten."""

import datetime as dt
import json
import stat

import pytest
from django.db import connection, transaction
from pypdf import PdfReader

from archive import registry, services
from archive.checks import check_package
from archive.models import ArchivePackage, PackageCheck
from archive.package import PackageBuildError
from archive.registry import ArchiveRecord
from archive.services import archive_case, package_folder
from archive.tasks import build_package, sweep_unarchived
from portal.cases.models import Attachment, CaseEvent
from portal.catalog.models import RetentionPeriod
from portal.core.models import AppendOnlyError
from tests.archive.conftest import RARE_NAME
from tests.archive.helpers import poppler
from tests.factories import CaseInStatusFactory

pytestmark = pytest.mark.django_db


def test_a_closed_case_yields_one_package_that_passes_every_check(closed_case):
    case = closed_case()
    package = ArchivePackage.objects.get(case=case)
    folder = package_folder(package)

    report = check_package(folder)
    assert report.passed, report.failures
    assert {i.property for i in report.items} == {"authenticity", "integrity", "usability", "security"}
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == [
        "attachments/01-户口簿_首页.pdf",
        "attachments/02-photo.png",
        "document.pdf",
        "manifest.xml",
    ]
    assert [p["path"] for p in package.parts] == ["document.pdf", *files[:2]]

    year = case.closed_at.astimezone(dt.timezone(dt.timedelta(hours=8))).year
    assert package.archival_code == f"JY330411-{year}-D10-{case.reference_no}"
    assert (package.retention_period, package.review_due) == (RetentionPeriod.Y10, dt.date(year + 11, 1, 1))
    assert package.title == f"测试事项：{RARE_NAME}" and package.responsible == "区教育局基础教育科"

    build_check = PackageCheck.objects.get(package=package)
    assert build_check.trigger == "build" and build_check.passed
    archived = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert archived.action == "archive.archived" and archived.data["archival_code"] == package.archival_code
    # written once, read-only: no write bit on any file or folder of the package
    for path in [folder, *folder.rglob("*")]:
        assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), path


def test_the_document_is_pdfa_with_embedded_fonts_and_the_whole_trace_embedded(closed_case, tmp_path):
    case = closed_case()
    document = package_folder(ArchivePackage.objects.get(case=case)) / "document.pdf"

    text = poppler("pdftotext", document, "-enc", "UTF-8")
    assert RARE_NAME in text  # the rare character survives: the CJK font covers it and is embedded
    assert case.reference_no in text and "办理过程" in text and "材料齐全，予以办理" in text
    assert case.subject_id_number not in text and case.masked_subject_id in text  # ID numbers only masked
    fonts = poppler("pdffonts", document).splitlines()[2:]
    assert fonts and all(line.split()[-5:-3] == ["yes", "yes"] for line in fonts), fonts  # embedded, subset
    assert len(fonts) == 1, "one face only: each extra face costs a font subset per document"

    reader = PdfReader(document)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "pdfaid:part>3<" in xmp or 'pdfaid:part="3"' in xmp
    data = json.loads(reader.attachments["case-data.json"][0])
    events = list(CaseEvent.objects.filter(case=case).exclude(action="archive.archived").order_by("seq"))
    assert [e["seq"] for e in data["trace"]] == [e.seq for e in events] == list(range(1, len(events) + 1))
    assert data["trace"][-1]["to"] == "done" and data["case"]["subject_name"] == RARE_NAME
    assert [a["sha256"] for a in data["attachments"]] == list(
        Attachment.objects.filter(case=case).order_by("uploaded_at", "pk").values_list("sha256", flat=True)
    )


@pytest.mark.parametrize("transition", ["reject", "withdraw"])
def test_every_final_status_is_archived(closed_case, transition):
    case = closed_case(transition=transition, attachments=False)
    package = ArchivePackage.objects.get(case=case)
    assert check_package(package_folder(package)).passed
    assert package.parts == [package.parts[0]] and package.parts[0]["path"] == "document.pdf"


def test_a_rolled_back_closing_queues_no_package(
    service, district, school, clerk, django_capture_on_commit_callbacks
):
    from portal.cases import services as cases

    case = cases.case_open(
        service=service,
        applicant=clerk,
        subject_name="李四",
        channel="counter",
        district=district,
        school=school,
    )
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        cases.case_transition(case=case, transition="reject", by=clerk, note="x")
        raise RuntimeError("the caller's transaction fails")
    assert callbacks == [] and not ArchivePackage.objects.exists()


def test_making_it_again_returns_the_same_package_and_rewrites_nothing(closed_case):
    case = closed_case()
    package = ArchivePackage.objects.get(case=case)
    folder = package_folder(package)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}

    assert archive_case(case_id=case.pk) == package
    assert build_package.delay(case.pk).get() == package.archival_code
    assert ArchivePackage.objects.filter(case=case).count() == 1
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()} == before
    assert not list((folder.parent.parent.parent / ".staging").iterdir())


def test_a_package_made_meanwhile_by_another_worker_wins(closed_case, monkeypatch):
    """Two workers build at once: the second to take the case lock finds the first's package and throws its
    own staged copy away."""
    case = closed_case(attachments=False)
    first = ArchivePackage.objects.get(case=case)
    real_filter = ArchivePackage.objects.filter
    calls = []

    def not_there_at_first(*args, **kwargs):  # the unlocked early check misses the package
        calls.append(kwargs)
        qs = real_filter(*args, **kwargs)
        return qs.none() if len(calls) == 1 else qs

    monkeypatch.setattr(ArchivePackage.objects, "filter", not_there_at_first)
    assert archive_case(case_id=case.pk) == first
    assert len(calls) == 2
    assert not list((package_folder(first).parents[2] / ".staging").iterdir())


def test_a_package_row_cannot_be_changed_or_deleted(closed_case):
    package = ArchivePackage.objects.get(case=closed_case(attachments=False))
    package.title = "改过的题名"
    with pytest.raises(AppendOnlyError):
        package.save()
    with pytest.raises(AppendOnlyError):
        ArchivePackage.objects.filter(pk=package.pk).update(title="x")
    with pytest.raises(AppendOnlyError):
        package.delete()
    if connection.vendor == "postgresql":  # even raw SQL: a trigger refuses it
        from django.db.utils import InternalError

        with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE archive_archivepackage SET title = 'x' WHERE id = %s", [package.pk])


def test_an_open_case_is_not_archived(service, district, school, clerk):
    from portal.cases import services as cases

    case = cases.case_open(
        service=service,
        applicant=clerk,
        subject_name="李四",
        channel="online",
        district=district,
        school=school,
    )
    assert archive_case(case_id=case.pk) is None
    assert not ArchivePackage.objects.exists()


def test_an_attachment_altered_in_storage_stops_the_package(closed_case, monkeypatch, settings):
    """The copy is checked against the digest recorded at upload: an altered file is not archived (and
    nothing half-made is left)."""
    import archive.tasks

    monkeypatch.setattr(archive.tasks.services, "archive_case", lambda case_id: None)  # let the close pass
    case = closed_case()
    monkeypatch.undo()
    attachment = Attachment.objects.filter(case=case).first()
    with attachment.file.open("r+b") as handle:
        handle.write(b"%PDF-9")
    with pytest.raises(PackageBuildError, match="no longer matches"):
        archive_case(case_id=case.pk)
    assert build_package.delay(case.pk).get() == "failed"
    assert not ArchivePackage.objects.exists()
    root = services.archive_root()
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_the_sweeper_archives_closed_cases_whose_task_was_lost(district, school, service):
    old = CaseInStatusFactory(
        rejected=True,
        service=service,
        district=district,
        school=school,
        closed_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    )
    CaseEvent.objects.create(case=old, seq=1, actor_label="系统", action="submitted", to_state="submitted")
    CaseEvent.objects.create(
        case=old,
        seq=2,
        actor_label="系统",
        action="status_changed",
        from_state="submitted",
        to_state="rejected",
    )
    CaseInStatusFactory(in_progress=True, service=service, district=district, school=school)

    assert sweep_unarchived.delay().get() == 1
    package = ArchivePackage.objects.get()
    assert package.case == old and package.document_date == dt.date(2026, 3, 2)
    assert sweep_unarchived.delay().get() == 0


def test_a_trace_with_a_gap_fails_the_integrity_check(district, school, service):
    case = CaseInStatusFactory(done=True, service=service, district=district, school=school)
    CaseEvent.objects.create(case=case, seq=1, actor_label="系统", action="submitted", to_state="submitted")
    CaseEvent.objects.create(
        case=case, seq=3, actor_label="系统", action="status_changed", from_state="submitted", to_state="done"
    )
    with pytest.raises(services.PackageCheckFailed) as excinfo:
        archive_case(case_id=case.pk)
    failed = {(i.property, i.code) for i in excinfo.value.report.failures}
    assert failed == {("integrity", "trace")}
    assert not ArchivePackage.objects.exists()


# --- the provider registry ---------------------------------------------------------------------------------


def test_a_service_supplies_template_data_and_retention_through_the_registry(
    closed_case, service, monkeypatch
):
    monkeypatch.setattr(registry, "_providers", {})
    seen = []

    def provider(case):
        seen.append(case.pk)
        return ArchiveRecord(
            data={"marker": "服务数据"}, title="自定义题名", retention=RetentionPeriod.PERMANENT
        )

    registry.register("tst", provider)
    registry.register("TST", provider)  # idempotent
    with pytest.raises(ValueError, match="already has an archive provider"):
        registry.register("TST", lambda case: ArchiveRecord())
    with pytest.raises(ValueError, match="retention"):
        ArchiveRecord(retention="5y")

    case = closed_case(attachments=False)
    package = ArchivePackage.objects.get(case=case)
    assert seen == [case.pk]
    assert (package.title, package.retention_period, package.review_due) == ("自定义题名", "permanent", None)
    assert "-Y-" in package.archival_code
    data = json.loads(PdfReader(package_folder(package) / "document.pdf").attachments["case-data.json"][0])
    assert data["service_data"] == {"marker": "服务数据"}
