"""Graduate a district's year of 20,000 junior pupils, and render graduation certificates (学历证明)
beside place notices in the same process.

    python -m bench graduation

**Graduation.** A throw-away database (all migrations applied) gets one district with 20 junior schools and
20,000 enrolled grade-9 records (plus 2,000 grade-8 ones that must stay), written with ``bulk_create``
(set-up, not timed). Timed, ``graduation_s``: what the bureau's run does — ``graduation_start`` (the run's
case) and ``graduation_execute`` (the Celery job): per chunk of 500, one transaction that locks the rows,
runs each record's ``graduate`` transition, writes what it set with one ``UPDATE``, ``bulk_create``\\s 500
history rows and 500 certificate rows, moves the progress, and after commit queues the certificate jobs
(batches of 50) on an in-memory broker (``memory://``: real kombu publishing, no worker eats them). The
ceiling in the same run, ``floor_s``: the same rows changed the cheapest way the database allows — one
``UPDATE`` of the 20,000 rows and ``bulk_create`` of the same history and certificate rows, in one
transaction, rolled back — so ``ratio_to_floor`` says what the transitions, locks and chunking cost on this
machine (target ≤ 4).

**Certificates.** The worker's render of a certificate (``render_certificate_pdf`` of a stand-in context, as
``bench_notice`` renders a stand-in notice) against the place notice, alternating, ``BENCH_GRAD_DOCS`` each
(default 20), warm: ``certificate_vs_notice`` = certificate rate ÷ notice rate (target ≥ 1). The whole job
of a real certificate (register the issued document, render, store the file) is timed too on a few of the
graduates (``job_ms``).

``BENCH_GRAD_PUPILS`` changes the 20,000.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

PUPILS = 20_000
SCHOOLS = 20
DOCS = 20
JOBS = 5
YEAR = 2027


def _populate(pupils: int) -> object:
    from portal.accounts.models import Role, User
    from portal.catalog.registry import sync_catalog
    from portal.core import pii
    from portal.core.idcodes import id_check_char
    from portal.orgs.models import District, School
    from studentstatus.models import StudentRecord

    sync_catalog()
    district = District.objects.create(code="330411", name="秀洲区")
    schools = School.objects.bulk_create(
        School(district=district, code=f"J{i:03d}", name=f"第{i + 1}中学", stage="junior")
        for i in range(SCHOOLS)
    )
    names = ["王小明", "李𬌗", "阿依古丽·买买提", "王䶮", "张𠈌", "赵四海"]
    records = []
    for i in range(pupils + pupils // 10):
        first17 = f"330411{2012 + (i % 2):04d}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        id_number = first17 + id_check_char(first17)
        student_no = f"G{id_number}{i}"  # unique per row for the bench (the hash is the unique key)
        grade = 9 if i < pupils else 8
        records.append(
            StudentRecord(
                student_no=student_no,
                student_no_hash=pii.keyed_hash(student_no),
                name=names[i % len(names)],
                gender="M" if i % 2 else "F",
                birth_date=dt.date(2012, 1 + i % 12, 1 + i % 28),
                school=schools[i % SCHOOLS],
                stage="junior",
                entry_year=YEAR - 3 if grade == 9 else YEAR - 2,
                grade=grade,
                class_name=f"{grade}({1 + i % 8})班",
            )
        )
    StudentRecord.objects.bulk_create(records, batch_size=2000)
    return User.objects.create(
        username="bench-bureau", role=Role.BUREAU, district=district, real_name="教育局"
    )


def _floor(bureau) -> float:
    """The cheapest writes of the same changes, rolled back: the ceiling this run is measured against."""
    from django.db import transaction

    from portal.cases.models import Case
    from portal.catalog.models import ServiceItem
    from studentstatus.models import GraduationCertificate, GraduationRun, StudentRecord, StudentRecordHistory
    from studentstatus.services.graduation import graduates_of

    class Rollback(Exception):
        pass

    district = bureau.district
    try:
        with transaction.atomic():
            case = Case.objects.create(
                reference_no="JY-GRD-FLOOR",
                service=ServiceItem.objects.get(code="GRD"),
                applicant=bureau,
                subject_name="floor",
                district=district,
                accepted_on=dt.date(YEAR, 6, 30),
            )
            run = GraduationRun.objects.create(
                case=case, district=district, year=YEAR, graduated_on=case.accepted_on
            )
            t = time.perf_counter()
            ids = list(graduates_of(district).values_list("pk", "school_id"))
            StudentRecord.objects.filter(pk__in=[pk for pk, _ in ids]).update(
                status="graduated", graduated_on=case.accepted_on
            )
            StudentRecordHistory.objects.bulk_create(
                (
                    StudentRecordHistory(
                        record_id=pk,
                        action="graduated",
                        case=case,
                        changes={"status": ["enrolled", "graduated"]},
                    )
                    for pk, _ in ids
                ),
                batch_size=500,
            )
            GraduationCertificate.objects.bulk_create(
                (
                    GraduationCertificate(record_id=pk, run=run, school_id=school, certificate_no=f"F{pk}")
                    for pk, school in ids
                ),
                batch_size=500,
            )
            elapsed = time.perf_counter() - t
            raise Rollback
    except Rollback:
        pass
    return elapsed


def _graduate(pupils: int) -> dict:
    from portal.celery import app
    from studentstatus.catalogue_graduation import CERTIFICATE_BATCH
    from studentstatus.models import GraduationCertificate, GraduationRun, StudentRecord, StudentRecordHistory
    from studentstatus.services import graduation

    t0 = time.perf_counter()
    bureau = _populate(pupils)
    setup_s = time.perf_counter() - t0
    floor_s = _floor(bureau)

    # the certificate jobs go to an in-memory broker: real publishing (kombu), no worker eats them
    broker, app.conf.broker_url = app.conf.broker_url, "memory://"
    published = []
    queue_certificates, queue_run = graduation._queue_certificates, graduation._queue_run

    def counting(ids):
        published.append(len(ids))
        queue_certificates(ids)

    graduation._queue_certificates = counting
    graduation._queue_run = lambda run_id: None  # the job runs below, in this process, timed
    try:
        t = time.perf_counter()
        run = graduation.graduation_start(district=bureau.district, year=YEAR, by=bureau)
        run = graduation.graduation_execute(run_id=run.pk)
        graduation_s = time.perf_counter() - t
    finally:
        graduation._queue_certificates, graduation._queue_run = queue_certificates, queue_run
        app.conf.broker_url = broker

    # the whole job of a few real certificates: register, render, store
    ids = list(GraduationCertificate.objects.order_by("pk").values_list("pk", flat=True)[: JOBS + 1])
    graduation.certificate_render(certificate_id=ids[0])  # warm
    times = []
    for pk in ids[1:]:
        t = time.perf_counter()
        graduation.certificate_render(certificate_id=pk)
        times.append(time.perf_counter() - t)
    run = GraduationRun.objects.get(pk=run.pk)
    return {
        "pupils": pupils,
        "setup_s": round(setup_s, 2),
        "graduation_s": round(graduation_s, 2),
        "floor_s": round(floor_s, 2),
        "ratio_to_floor": round(graduation_s / floor_s, 2),
        "target_ratio": 4,
        "graduated": run.graduated,
        "history_rows": StudentRecordHistory.objects.filter(action="graduated").count(),
        "certificates": GraduationCertificate.objects.count(),
        "certificate_jobs_queued": sum(-(-n // CERTIFICATE_BATCH) for n in published),
        "certificates_queued": sum(published),
        "grade_8_untouched": StudentRecord.objects.filter(grade=8, status="enrolled").count(),
        "job_ms": round(1000 * statistics.median(times), 1) if times else None,
    }


def _renders(docs: int) -> dict:
    from bench.bench_notice import stand_in_application
    from enrollment.notice import render_notice_pdf
    from studentstatus.certificate import context_for, render_certificate_pdf

    issued = dt.date(YEAR, 6, 30)
    url = f"http://127.0.0.1:8000/verify/{'x' * 32}/"

    def notice(seq):
        return render_notice_pdf(
            stand_in_application(seq), tier_label_text="房户一致", issued=issued, verify_url=url
        )

    def certificate(seq):
        return render_certificate_pdf(
            context_for(
                name="阿依古丽·买买提𬌗",
                gender="F",
                birth_date=dt.date(2012, 3, 15),
                student_no="G330411201203150248",
                school_name="第一中学",
                entry_year=YEAR - 3,
                year=YEAR,
                graduated_on=issued,
                issued_on=issued,
                certificate_no=f"BY{YEAR}330411{seq:08d}",
                bureau="秀洲区教育局",
                verify_url=url,
            )
        )

    notice(0), certificate(0)  # warm: WeasyPrint, fonts, stylesheets
    notice_t, certificate_t, sizes = [], [], []
    for seq in range(1, docs + 1):  # alternating, so both see the same machine load
        t = time.perf_counter()
        notice(seq)
        notice_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        sizes.append(len(certificate(seq)))
        certificate_t.append(time.perf_counter() - t)
    notice_rate = docs / sum(notice_t)
    certificate_rate = docs / sum(certificate_t)
    return {
        "docs": docs,
        "notice_docs_per_s": round(notice_rate, 2),
        "certificate_docs_per_s": round(certificate_rate, 2),
        "certificate_vs_notice": round(certificate_rate / notice_rate, 2),
        "certificate_avg_ms": round(1000 * sum(certificate_t) / docs, 1),
        "certificate_kb": round(sum(sizes) / docs / 1024, 1),
    }


def run() -> dict:
    from django.db import connection
    from django.test import override_settings

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    pupils = int(os.environ.get("BENCH_GRAD_PUPILS", PUPILS))
    docs = int(os.environ.get("BENCH_GRAD_DOCS", DOCS))
    original_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    original_test_name = test_settings.get("NAME")
    scratch = None
    if connection.vendor == "sqlite":
        scratch = Path(tempfile.mkdtemp(prefix="bench-graduation-")) / "graduation.sqlite3"
        test_settings["NAME"] = str(scratch)
    else:
        test_settings["NAME"] = f"{original_name}_bench_graduation"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    media = tempfile.mkdtemp(prefix="bench-graduation-media-")
    try:
        with override_settings(MEDIA_ROOT=media):
            result = _graduate(pupils)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
        test_settings["NAME"] = original_test_name
        import shutil

        shutil.rmtree(media, ignore_errors=True)
        if scratch is not None:
            shutil.rmtree(scratch.parent, ignore_errors=True)
    result |= _renders(docs)
    result["database"] = connection.vendor
    result["load_average_at_end"] = round(os.getloadavg()[0], 2)
    print(
        f"graduation: {pupils:,} junior pupils on {connection.vendor} in {result['graduation_s']} s "
        f"(floor {result['floor_s']} s, ratio {result['ratio_to_floor']}, "
        f"target ≤ {result['target_ratio']}); "
        f"{result['certificate_jobs_queued']} certificate jobs queued for {result['certificates_queued']:,} "
        f"certificates; certificates {result['certificate_docs_per_s']} docs/s vs notices "
        f"{result['notice_docs_per_s']} docs/s (×{result['certificate_vs_notice']}, target ≥ 1); "
        f"a whole certificate job {result['job_ms']} ms",
        flush=True,
    )
    return result
