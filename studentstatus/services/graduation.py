"""Graduation (毕业) of a district's final junior grade and the graduation certificates (学历证明).

The bureau starts a run (:func:`graduation_start`, one case of item GRD); the worker runs it
(:func:`graduation_execute`, task ``studentstatus.graduation_run``) over chunks of records. Each chunk is
one transaction: the chunk's rows are locked with one ``SELECT … FOR UPDATE``, every record goes through its
own ``graduate`` transition (django-fsm checks it is ``enrolled``), what the transitions set is written with
one ``UPDATE`` of the locked rows, their history rows and certificate rows with ``bulk_create``, and the
run's progress moves — so 20,000 pupils are ~40 transactions, not 20,000, and an interrupted run resumes
where it stopped. The certificate jobs (``studentstatus.render_certificates``) are queued when the chunk
commits; each registers the certificate with the kernel's issued documents and renders the PDF.

Idempotent throughout: only enrolled pupils of the final junior grade are picked, a record has at most one
certificate (unique), a certificate is registered once (``document_ensure`` with its number) and rendered
once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Role
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Channel
from portal.cases.workflow import ActionNotAllowed
from portal.catalog.models import ServiceItem
from portal.documents.models import DocumentKind
from portal.orgs.models import Stage
from studentstatus import certificate as pdf
from studentstatus.catalogue_graduation import CERTIFICATE_BATCH, CHUNK, GRADUATION_ITEM, GraduationAction
from studentstatus.models import (
    GRADUATING_GRADE,
    GraduationCertificate,
    GraduationRun,
    HistoryAction,
    RecordStatus,
    RunState,
    StudentRecord,
    StudentRecordHistory,
)

logger = logging.getLogger(__name__)
FINAL_GRADE = GRADUATING_GRADE[Stage.JUNIOR]


def graduates_of(district):
    """The pupils a graduation of ``district`` moves: enrolled, junior, in the final grade."""
    return StudentRecord.objects.filter(
        school__district=district, stage=Stage.JUNIOR, grade=FINAL_GRADE, status=RecordStatus.ENROLLED
    )


def _may_run(user, district) -> bool:
    return user is not None and (
        user.is_superuser or (user.role == Role.BUREAU and user.district_id == district.pk)
    )


def graduation_start(*, district, year, by, graduated_on=None) -> GraduationRun:
    """The bureau of ``district`` graduates its final junior grade of ``year`` (届). Opens the run's case
    and queues the job after commit. 403 for anyone but the district's bureau, 400 for a bad year, 409
    while a run of the same year is queued or running."""
    if not _may_run(by, district):
        raise PermissionDenied(_("Only the education bureau of the district runs its graduation."))
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    today = cases.local_today()
    if not today.year - 1 <= year <= today.year + 1:
        raise ValidationError(
            {"year": [_("Enter the graduating year (届), e.g. %(year)d.") % {"year": today.year}]}
        )
    service = ServiceItem.objects.get(code=GRADUATION_ITEM)
    running = _("The graduation of %(year)d in this district is already running.") % {"year": year}
    try:
        with transaction.atomic():
            if GraduationRun.objects.filter(
                district=district, year=year, state__in=(RunState.QUEUED, RunState.RUNNING)
            ).exists():
                raise ActionNotAllowed(running, code="running")
            with cases.case_opening(
                service=service,
                applicant=by,
                subject_name=_("Junior graduates of %(year)d") % {"year": year},
                channel=Channel.ONLINE,
                district=district,
                by=by,
            ) as case:
                run = GraduationRun.objects.create(
                    case=case, district=district, year=year, graduated_on=graduated_on or today, started_by=by
                )
                cases.case_set_next_step(case=case, text=_("The graduation job is running."))
            transaction.on_commit(partial(_queue_run, run.pk))
    except IntegrityError:  # the database's guard: another run of this year started at the same moment
        raise ActionNotAllowed(running, code="running") from None
    return run


def _queue_run(run_id: int) -> None:
    from studentstatus.tasks import graduation_run

    graduation_run.delay(run_id)


def _queue_certificates(ids: list[int]) -> None:
    from studentstatus.tasks import render_certificates

    for start in range(0, len(ids), CERTIFICATE_BATCH):
        render_certificates.delay(ids[start : start + CERTIFICATE_BATCH])


def graduation_execute(*, run_id: int, chunk: int = CHUNK) -> GraduationRun:
    """The job: take the run up, graduate chunk after chunk, finish. Safe to run again at any point (a
    retried or duplicated task): a finished run is left alone, a record already graduated is not picked."""
    run = GraduationRun.objects.select_related("district", "case").get(pk=run_id)
    if run.state == RunState.DONE:
        return run
    eligible = graduates_of(run.district)
    if run.state == RunState.QUEUED:
        run = workflow.perform(run, "start", by=None, total=eligible.count())
    ids = list(eligible.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        graduate_chunk(run=run, record_ids=ids[start : start + chunk])
    return workflow.perform(
        run,
        "finish",
        by=None,
        at=timezone.now(),
        then=lambda r: cases.case_set_next_step(case=r.case, text=""),
        data=lambda r: {"graduated": r.graduated, "total": r.total},
    )


def graduate_chunk(*, run: GraduationRun, record_ids: list[int]) -> list[int]:
    """One transaction: lock the chunk's records, run each one's ``graduate`` transition, write what it
    set with one ``UPDATE``, their history and certificates with ``bulk_create``, move the run's progress and
    queue the certificate jobs after commit. Returns the new certificates' ids."""
    now = timezone.now()
    with transaction.atomic():
        records = list(
            graduates_of(run.district)
            .select_for_update(of=("self",))
            .filter(pk__in=record_ids)
            .select_related("school")
            .defer("student_no")  # not needed here: spares a decryption per row
            .order_by("pk")
        )
        outcomes = defaultdict(list)
        for record in records:
            record.graduate(on=run.graduated_on)  # the transition: enrolled → graduated, stamps the date
            outcomes[(record.status, record.graduated_on)].append(record.pk)
        # What the transitions set, written back with one UPDATE per distinct outcome (all share one: the
        # run's date) on the rows locked above — Django's bulk_update (a CASE per row and field) costs
        # ~1 ms a row in query building alone.
        for (status, graduated_on), pks in outcomes.items():
            StudentRecord.objects.filter(pk__in=pks).update(
                status=status, graduated_on=graduated_on, updated_at=now
            )
        StudentRecordHistory.objects.bulk_create(
            StudentRecordHistory(
                record=record,
                action=HistoryAction.GRADUATED,
                by=run.started_by,
                case=run.case,
                changes={
                    "status": [RecordStatus.ENROLLED.value, RecordStatus.GRADUATED.value],
                    "graduated_on": [None, run.graduated_on.isoformat()],
                },
                note=_("Graduation %(ref)s") % {"ref": run.case.reference_no},
            )
            for record in records
        )
        have = set(
            GraduationCertificate.objects.filter(record__in=records).values_list("record_id", flat=True)
        )
        made = GraduationCertificate.objects.bulk_create(
            GraduationCertificate(
                record=record,
                run=run,
                school=record.school,
                certificate_no=pdf.certificate_no_for(
                    year=run.year, district_code=run.district.code, record_pk=record.pk
                ),
            )
            for record in records
            if record.pk not in have
        )
        if records:
            GraduationRun.objects.filter(pk=run.pk).update(graduated=F("graduated") + len(records))
            cases.case_log_event(
                case=run.case,
                action=GraduationAction.CHUNK_DONE,
                data={"graduated": len(records), "certificates": len(made)},
            )
        ids = [c.pk for c in made]
        if ids:
            transaction.on_commit(partial(_queue_certificates, ids))
    return ids


# --- certificates -------------------------------------------------------------------------------------


def certificate_subject_key(record) -> str:
    return f"studentstatus.record:{record.pk}"


def certificate_document(certificate: GraduationCertificate):
    """The certificate's entry in the kernel's issued documents: registered once (its number is the
    fingerprint), on the run's case; the same document whenever it is asked for again."""
    from portal.documents.services import document_ensure

    record, run = certificate.record, certificate.run
    return document_ensure(
        kind=DocumentKind.GRADUATION_CERTIFICATE,
        case=run.case,
        subject_key=certificate_subject_key(record),
        fingerprint=certificate.certificate_no,
        holder_name=record.name,
        title=pdf.TITLE,
        facts={
            "certificate_no": certificate.certificate_no,
            "school": certificate.school.name,
            "graduation": f"{run.year}届初中毕业",
            "graduated_on": (record.graduated_on or run.graduated_on).isoformat(),
            "issuer": pdf.bureau_name(run.district),
        },
        download_path=reverse("studentstatus:record_certificate", args=[record.pk]),
        issued_on=run.graduated_on,
    )


def _certificate(certificate_id: int) -> GraduationCertificate:
    return GraduationCertificate.objects.select_related(
        "record", "school", "run", "run__district", "run__case", "document"
    ).get(pk=certificate_id)


def certificate_render(*, certificate_id: int) -> bool:
    """Register and render one certificate and keep the PDF; False when it was done already (or the
    record is no longer graduated). The render runs outside any transaction (it takes ~0.2 s)."""
    certificate = _certificate(certificate_id)
    if certificate.rendered_at is not None and certificate.pdf:
        return False
    if certificate.record.status != RecordStatus.GRADUATED:
        logger.warning(
            "certificate %s: record %s is %s",
            certificate.pk,
            certificate.record_id,
            certificate.record.status,
        )
        return False
    document = certificate_document(certificate)
    certificate.document = document
    data = pdf.render_certificate_pdf(pdf.certificate_context(certificate))
    with transaction.atomic():
        if not GraduationCertificate.objects.filter(pk=certificate.pk, rendered_at__isnull=True).update(
            rendered_at=timezone.now(), document=document
        ):
            return False  # another worker finished it meanwhile
        certificate.pdf.save(f"{certificate.certificate_no}.pdf", ContentFile(data), save=False)
        GraduationCertificate.objects.filter(pk=certificate.pk).update(pdf=certificate.pdf.name)
        GraduationRun.objects.filter(pk=certificate.run_id).update(certificates=F("certificates") + 1)
    return True


def certificate_pdf(certificate: GraduationCertificate) -> bytes:
    """The certificate's PDF for a download: the worker's file, or rendered now if the job has not run
    yet (and kept)."""
    if not certificate.pdf:
        certificate_render(certificate_id=certificate.pk)
        certificate = _certificate(certificate.pk)
    if certificate.pdf:
        with certificate.pdf.open("rb") as handle:
            return handle.read()
    return pdf.render_certificate_pdf(pdf.certificate_context(certificate))


def certificates_requeue(*, limit: int = 5000) -> int:
    """The sweeper: certificates of graduated records still without a PDF (a job lost with a broker or
    worker) are queued again — only for runs whose certificates have stopped coming (none rendered in the
    last 10 minutes), so a long queue that is still being worked through is not queued twice. Harmless
    when they were only late: rendering is idempotent."""
    now = timezone.now()
    busy = GraduationCertificate.objects.filter(
        run=OuterRef("run"), rendered_at__gte=now - dt.timedelta(minutes=10)
    )
    ids = list(
        GraduationCertificate.objects.filter(
            rendered_at__isnull=True,
            record__status=RecordStatus.GRADUATED,
            created_at__lt=now - dt.timedelta(minutes=30),
        )
        .exclude(Exists(busy))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    _queue_certificates(ids)
    return len(ids)
