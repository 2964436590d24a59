"""Certificate numbers under concurrent approvals on PostgreSQL: many bureau staff approving at the same
moment never print one number twice, and the sequence has no gaps. Threads need a server database
(skipped on SQLite, like tests/cases/test_perform.py)."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from sandbox import models as reg
from teachers.models import CertificateApplication, CertificateState
from teachers.services import certificate_apply, certificate_approve
from tests.factories import UserFactory, make_id_number
from tests.threads import run_in_threads

from .conftest import form

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database"),
]
COUNT = 8


def teacher_in_review(n: int) -> CertificateApplication:
    """A teacher whose records all pass but the medical result, so the application waits for the bureau."""
    today = timezone.localdate()
    id_number = make_id_number(dt.date(1990, 1, 1) + dt.timedelta(days=n), 100 + n)
    name = f"教师{n}"
    reg.Person.objects.create(id_number=id_number, name=name, gender="M", birth_date=dt.date(1990, 1, 1))
    reg.DegreeRecord.objects.create(cert_no=f"D{n}", id_number=id_number, degree="bachelor", major="数学",
                                    institution="浙江师范大学", year=2015)  # fmt: skip
    reg.TeacherExam.objects.create(cert_no=f"E{n}", id_number=id_number, stage="junior", subject="数学",
                                   passed_on=today - dt.timedelta(days=100),
                                   valid_until=today + dt.timedelta(days=900))  # fmt: skip
    reg.MandarinTest.objects.create(cert_no=f"M{n}", id_number=id_number, level="二级乙等")
    reg.MedicalReport.objects.create(report_no=f"R{n}", id_number=id_number, result="unfit",
                                     date=today - dt.timedelta(days=10))  # fmt: skip
    user = UserFactory(real_name=name, id_number=id_number, phone=f"139000{n:05d}", email="")
    application = certificate_apply(
        applicant=user,
        **form(subject="数学", exam_pass_no=f"E{n}", mandarin_cert_no=f"M{n}", medical_report_no=f"R{n}"),
    )  # the checks run at commit (Celery eager in tests)
    application.refresh_from_db()
    assert application.state == CertificateState.NEEDS_REVIEW
    return application


def test_concurrent_approvals_never_share_a_number(window, bureau, settings):
    settings.EXCHANGE_RETRY_BACKOFF = 0.0
    applications = [teacher_in_review(n) for n in range(COUNT)]
    barrier, pending, lock = threading.Barrier(COUNT), list(applications), threading.Lock()

    def approve():
        with lock:
            application = CertificateApplication.objects.get(pk=pending.pop().pk)
        barrier.wait()
        certificate_approve(application=application, by=bureau, note="复查合格")

    assert run_in_threads(approve, COUNT) == []
    rows = list(CertificateApplication.objects.values_list("state", "certificate_no"))
    assert {state for state, _ in rows} == {CertificateState.CERTIFICATE_ISSUED}
    numbers = sorted(no for _, no in rows)
    year = timezone.localdate().year
    assert numbers == [f"{year}3304113{seq:06d}" for seq in range(1, COUNT + 1)]  # distinct, no gaps
