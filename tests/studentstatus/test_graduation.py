"""Graduation (毕业): the bureau's run graduates exactly the enrolled pupils of the final junior grade,
through the records' transition with history, chunk by chunk, and each gets one graduation certificate
(学历证明) registered with the issued documents and rendered to PDF; running it again changes nothing."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from portal.cases.workflow import ActionNotAllowed
from portal.documents.models import DocumentStatus, IssuedDocument
from portal.orgs.models import School
from studentstatus.models import (
    GraduationCertificate,
    GraduationRun,
    HistoryAction,
    RecordStatus,
    RunState,
    StudentRecord,
    StudentRecordHistory,
)
from studentstatus.services import graduation, record_enrol
from tests.factories import UserFactory
from tests.i18n import zh
from tests.studentstatus.conftest import TODAY, Family, new_id


@pytest.fixture(autouse=True)
def _no_archive_packages():
    """A finished run completes its case, and the archive packages every closed case after commit (a
    PDF/A render): the archive's business, tested in tests/archive."""
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


RARE_NAMES = ["李𬌗", "阿依古丽·买买提", "王䶮", "张三", "赵四"]


@pytest.fixture
def year9(world, tmp_path):
    """The guardian's child in grade 9 at J1, four more grade-9 pupils, and pupils who must not graduate."""
    family = Family(tmp_path, grade=9, school="J1", stage="junior")
    j1, p1 = School.objects.get(code="J1"), School.objects.get(code="P1")
    for i, name in enumerate(RARE_NAMES[:4]):
        record_enrol(
            id_number=new_id(f"2012-02-0{i + 1}", male=i % 2 == 0),
            name=name,
            school=j1,
            stage="junior",
            entry_year=2024,
            grade=9,
        )
    keep = {
        "grade8": record_enrol(
            id_number=new_id("2013-03-01", male=True),
            name="钱八",
            school=j1,
            stage="junior",
            entry_year=2025,
            grade=8,
        )[0],
        "suspended": record_enrol(
            id_number=new_id("2012-04-01", male=False),
            name="孙休",
            school=j1,
            stage="junior",
            entry_year=2024,
            grade=9,
        )[0],
        "primary6": record_enrol(
            id_number=new_id("2015-05-01", male=True),
            name="周六",
            school=p1,
            stage="primary",
            entry_year=2021,
            grade=6,
        )[0],
    }
    StudentRecord.objects.filter(pk=keep["suspended"].pk).update(status=RecordStatus.SUSPENDED)  # set-up only
    return family, keep


def _run(bureau, capture, year=2027):
    with capture(execute=True):
        run = graduation.graduation_start(district=bureau.district, year=year, by=bureau)
    return GraduationRun.objects.get(pk=run.pk)


def test_graduation_graduates_the_final_junior_grade_once_with_certificates(
    year9, staff, django_capture_on_commit_callbacks
):
    family, keep = year9
    run = _run(staff["bureau"], django_capture_on_commit_callbacks)
    assert run.state == RunState.DONE and run.total == 5 and run.graduated == 5 and run.certificates == 5
    assert run.case.status == "done" and run.case.reference_no.startswith("JY-GRD-")
    graduated = StudentRecord.objects.filter(status=RecordStatus.GRADUATED)
    assert graduated.count() == 5 and set(graduated.values_list("graduated_on", flat=True)) == {TODAY}
    for record in keep.values():  # grade 8, suspended, primary: untouched
        fresh = StudentRecord.objects.get(pk=record.pk)
        assert fresh.status != RecordStatus.GRADUATED and fresh.graduated_on is None
    history = StudentRecordHistory.objects.filter(action=HistoryAction.GRADUATED)
    assert history.count() == 5 and {h.case_id for h in history} == {run.case_id}
    assert history.first().changes["status"] == ["enrolled", "graduated"]
    certificates = GraduationCertificate.objects.all()
    assert certificates.count() == 5 and all(c.pdf and c.rendered_at for c in certificates)
    documents = IssuedDocument.objects.filter(kind="graduation_certificate", status=DocumentStatus.VALID)
    assert documents.count() == 5

    # the same job again, and a second run of the year: nobody graduates twice, no second certificate
    graduation.graduation_execute(run_id=run.pk)
    again = _run(staff["bureau"], django_capture_on_commit_callbacks)
    assert again.pk != run.pk and again.total == 0 and again.graduated == 0 and again.state == RunState.DONE
    assert StudentRecordHistory.objects.filter(action=HistoryAction.GRADUATED).count() == 5
    assert GraduationCertificate.objects.count() == 5
    assert IssuedDocument.objects.filter(kind="graduation_certificate").count() == 5
    for certificate in certificates:
        assert graduation.certificate_render(certificate_id=certificate.pk) is False


def test_chunks_resume_after_an_interruption(year9, staff, django_capture_on_commit_callbacks):
    """A job that died after its first chunk is taken up again: the rest graduate, the first chunk is
    not touched twice."""
    bureau = staff["bureau"]
    with django_capture_on_commit_callbacks(execute=False):  # the job is queued but not run
        run = graduation.graduation_start(district=bureau.district, year=2027, by=bureau)
    from portal.cases import workflow

    run = workflow.perform(run, "start", by=None, total=5)
    first = list(graduation.graduates_of(run.district).order_by("pk").values_list("pk", flat=True)[:2])
    with django_capture_on_commit_callbacks(execute=True):
        graduation.graduate_chunk(run=run, record_ids=first)
        graduation.graduation_execute(run_id=run.pk, chunk=2)
    run.refresh_from_db()
    assert run.state == RunState.DONE and run.graduated == 5 and run.certificates == 5
    assert StudentRecordHistory.objects.filter(action=HistoryAction.GRADUATED).count() == 5


def test_certificate_pdf_shows_the_name_and_its_qr_verifies(year9, staff, django_capture_on_commit_callbacks):
    _run(staff["bureau"], django_capture_on_commit_callbacks)
    record = StudentRecord.objects.get(name="李𬌗")
    certificate = record.graduation_certificate
    data = certificate.pdf.open("rb").read()
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "李𬌗" in text and "学历证明" in text and certificate.certificate_no in text
    assert "/verify/" + certificate.document.code in text.replace("\n", "")
    verified = APIClient().get(f"/api/v1/verify/{certificate.document.code}/").json()
    assert verified["valid"] is True and verified["document"] == "graduation_certificate"
    assert verified["holder"] == "李*" and verified["issued_on"] == TODAY.isoformat()
    page = APIClient().get(f"/verify/{certificate.document.code}/").content.decode()
    assert "第一中学" in page and certificate.certificate_no in page


def test_who_may_run_it_and_one_run_at_a_time(year9, staff, django_capture_on_commit_callbacks):
    for who in ("J1", "other_bureau"):
        with pytest.raises(PermissionDenied):
            graduation.graduation_start(district=staff["bureau"].district, year=2027, by=staff[who])
    with pytest.raises(ValidationError):
        graduation.graduation_start(district=staff["bureau"].district, year=1999, by=staff["bureau"])
    with django_capture_on_commit_callbacks(execute=False):
        graduation.graduation_start(district=staff["bureau"].district, year=2027, by=staff["bureau"])
    with pytest.raises(ActionNotAllowed) as refused:
        graduation.graduation_start(district=staff["bureau"].district, year=2027, by=staff["bureau"])
    assert zh("The graduation of %(year)d in this district is already running.") in refused.value.messages[0]


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_certificate_download_api(year9, staff, django_capture_on_commit_callbacks):
    family, keep = year9
    url = f"/api/v1/studentstatus/records/G{family.child_id}/certificate.pdf"
    guardian = _client(family.guardian)
    not_yet = guardian.get(url)
    assert not_yet.status_code == 409, not_yet.content
    _run(staff["bureau"], django_capture_on_commit_callbacks)
    for who in (guardian, _client(staff["J1"]), _client(staff["bureau"])):
        response = who.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    assert _client(UserFactory()).get(url).status_code == 404  # another family
    assert _client(staff["P1"]).get(url).status_code == 404  # another school
    assert _client(staff["other_bureau"]).get(url).status_code == 404
    assert guardian.get("/api/v1/studentstatus/records/Gxyz/certificate.pdf").status_code == 404
    grade8 = f"/api/v1/studentstatus/records/{keep['grade8'].student_no}/certificate.pdf"
    assert _client(staff["J1"]).get(grade8).status_code == 409


def test_pages_bureau_progress_and_guardian_download(
    year9, staff, client, django_capture_on_commit_callbacks
):
    family, _keep = year9
    client.force_login(staff["bureau"])
    page = client.get(reverse("studentstatus:graduation"))
    assert page.status_code == 200 and "5" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("studentstatus:graduation"), {"year": 2027})
    assert started.status_code == 302
    body = client.get(reverse("studentstatus:graduation")).content.decode()
    with translation.override("zh-hans"):
        done = str(RunState.DONE.label)
    assert "5 / 5" in body and done in body, body
    client.force_login(staff["J1"])
    assert client.get(reverse("studentstatus:graduation")).status_code == 403

    client.force_login(family.guardian)
    found = client.post(reverse("studentstatus:records"), {"student_id_number": family.child_id})
    assert found.status_code == 302
    record_page = client.get(found["Location"]).content.decode()
    download = reverse("studentstatus:record_certificate", args=[family.record.pk])
    assert download in record_page
    pdf = client.get(download)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    client.force_login(UserFactory())
    assert client.get(download).status_code == 404


def test_the_sweeper_queues_again_only_certificates_whose_job_was_lost(
    year9, staff, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    bureau = staff["bureau"]
    with django_capture_on_commit_callbacks(execute=True):
        run = graduation.graduation_start(district=bureau.district, year=2027, by=bureau)
    run.refresh_from_db()
    GraduationCertificate.objects.update(rendered_at=None, pdf="")  # as if every render job was lost
    assert graduation.certificates_requeue() == 0  # too recent: the jobs may just be queued
    GraduationCertificate.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert graduation.certificates_requeue() == 5
    assert GraduationCertificate.objects.filter(rendered_at__isnull=False).count() == 5
    assert IssuedDocument.objects.filter(kind="graduation_certificate").count() == 5  # the same documents
    assert graduation.certificates_requeue() == 0
