"""Teachers test world: a district with an open window, a teacher whose records are in the sandbox's
registries (reached over HTTP in-process), bureau staff, and the sandbox courier."""

import datetime as dt

import pytest
from django.utils import timezone

from sandbox import models as reg
from teachers.models import ApplicationWindow
from tests.factories import DistrictFactory, SchoolFactory, UserFactory, make_id_number

TEACHER_ID = make_id_number(dt.date(1995, 4, 12), 113)
TEACHER_NAME = "张𠈌"
ADDRESS = "浙江省嘉兴市秀洲区新城街道洪兴路 100 号"


@pytest.fixture(autouse=True)
def _fast_exchange(settings):
    settings.TEACHERS_LOOKUP_WORKERS = 1  # the in-process sandbox shares the test's connection
    settings.EXCHANGE_RETRY_BACKOFF = 0.0
    settings.EXCHANGE_MAX_ATTEMPTS = 2


@pytest.fixture(autouse=True)
def _no_archive_packages():
    """A delivered certificate closes its case and the archive packages every closed case after commit
    (a PDF/A render each): the archive's business, tested in tests/archive."""
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


@pytest.fixture
def district(db):
    return DistrictFactory(code="330411", name="秀洲区")


@pytest.fixture
def window(district):
    today = timezone.localdate()
    return ApplicationWindow.objects.create(
        district=district,
        name="2026年秋季教师资格认定",
        opens_on=today - dt.timedelta(days=5),
        closes_on=today + dt.timedelta(days=20),
    )


@pytest.fixture
def teacher(db):
    return UserFactory(real_name=TEACHER_NAME, id_number=TEACHER_ID, phone="13900001111", email="")


@pytest.fixture
def bureau(district):
    return UserFactory(bureau=True, district=district, real_name="审核员")


@pytest.fixture
def records(db):
    """The teacher's records in the registries; tests change them to make a check fail."""
    today = timezone.localdate()
    return {
        "person": reg.Person.objects.create(
            id_number=TEACHER_ID, name=TEACHER_NAME, gender="M", birth_date=dt.date(1995, 4, 12)
        ),
        "degree": reg.DegreeRecord.objects.create(
            cert_no="103451201705000001",
            id_number=TEACHER_ID,
            degree="bachelor",
            major="汉语言文学",
            institution="浙江师范大学",
            year=2017,
        ),
        "exam": reg.TeacherExam.objects.create(
            cert_no="JS2026001",
            id_number=TEACHER_ID,
            stage="junior",
            subject="语文",
            passed_on=today - dt.timedelta(days=200),
            valid_until=today + dt.timedelta(days=900),
        ),
        "mandarin": reg.MandarinTest.objects.create(
            cert_no="PTH2026001", id_number=TEACHER_ID, level="二级甲等"
        ),
        "medical": reg.MedicalReport.objects.create(
            report_no="TJ2026001", id_number=TEACHER_ID, result="fit", date=today - dt.timedelta(days=30)
        ),
    }


def form(**changes) -> dict:
    return {
        "stage": "junior",
        "subject": "语文",
        "exam_pass_no": "JS2026001",
        "mandarin_cert_no": "PTH2026001",
        "medical_report_no": "TJ2026001",
        "delivery_address": ADDRESS,
        **changes,
    }


@pytest.fixture
def apply(teacher, window, records, django_capture_on_commit_callbacks):
    """Apply as the teacher and let the checks run (after commit, in the task)."""
    from teachers.services import certificate_apply

    def _apply(user=None, **changes):
        with django_capture_on_commit_callbacks(execute=True):
            application = certificate_apply(applicant=user or teacher, **form(**changes))
        application.refresh_from_db()
        return application

    return _apply


@pytest.fixture
def courier(client, django_capture_on_commit_callbacks):
    """The tester at the sandbox courier's page: advance a shipment (its signed callback follows)."""

    def advance(delivery, to="", reason=""):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/sandbox/courier/shipments/{delivery.tracking_no}/advance/", {"to": to, "reason": reason}
            )
        delivery.refresh_from_db()
        return response

    return advance


@pytest.fixture
def school(district):
    return SchoolFactory(district=district, code="3304110001", name="秀洲区实验小学")
