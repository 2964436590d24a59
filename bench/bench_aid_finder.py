"""The aid finder (应助尽助) over 100,000 enrolled students with 50 ms per registry request.

    python -m bench aid_finder
    BENCH_AID_STUDENTS=20000 python -m bench aid_finder     # a quick run

A throw-away database (SQLite file, or ``<name>_bench_aid`` on PostgreSQL) gets every migration, one
district with ten schools, an open hardship scheme with its level rules, ``BENCH_AID_STUDENTS`` (100,000)
enrolled student records and, in the sandbox's civil-affairs and disability tables, a 低保/特困/低边 record
for 3 % of them and a disability certificate for 1 %. The sandbox answers in-process (the tests'
``httpx.WSGITransport``: the real routing, signature checks and views, no socket) after sleeping
``BENCH_AID_LATENCY_MS`` (50) per request (its fault injection, ``SourceFault.latency_ms``).

Measured in the same run:

- the finder as the nightly job runs it (``aid.finder.find_eligible_students``: batch requests of 1,000
  subjects, one audit row per student compared, the level rules applied, candidates yielded);
- the ceiling it is compared with: the same scan as one look-up per student (civil affairs, then the
  disability register, per student, through the same client), timed on ``BENCH_AID_SINGLE`` (200)
  students and projected linearly to all of them — running it in full would take hours at 50 ms.

``ratio`` = batch time ÷ projected one-by-one time (lower is better); ``ideal_s`` is the latency floor of
the batch scan (requests × latency). Written to ``bench-results/aid_finder.json`` as well.
"""

import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path

STUDENTS = 100_000
SINGLE = 200
LATENCY_MS = 50
RESULTS = Path(__file__).resolve().parent.parent / "bench-results"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class _InProcess:
    """The portal's WSGI app in this thread, leaving the database connection open between requests."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            body = b"".join(response)
            response.close()
            return [body]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def _id_number(n: int) -> str:
    from portal.core.idcodes import id_check_char

    birth = dt.date(2012, 1, 1) + dt.timedelta(days=n % 3000)
    first17 = f"330411{birth:%Y%m%d}{n // 3000 % 1000:03d}"
    return first17 + id_check_char(first17)


def _world(students: int):
    from aid.models import LevelRule, Scheme, SchemeLevel
    from portal.accounts.models import Role, User
    from portal.cases.services import case_open, local_today
    from portal.catalog.models import ServiceItem
    from portal.catalog.registry import sync_catalog
    from portal.core import pii
    from portal.orgs.loading import load_schools
    from portal.orgs.models import District, School
    from sandbox import models as reg
    from studentstatus.models import StudentRecord

    sync_catalog()
    load_schools(
        {
            "district": {"code": "330411", "name": "秀洲区"},
            "communities": [{"code": "330411101", "name": "新城社区", "lat": 30.77, "lng": 120.70}],
            "schools": [
                {"code": f"P{k}", "name": f"第{k}小学", "stage": "primary", "zone": ["330411101"]}
                for k in range(10)
            ],
        }
    )
    district = District.objects.get(code="330411")
    schools = list(School.objects.order_by("code"))
    today = local_today()
    scheme = Scheme.objects.create(
        code="KN-BENCH", name="家庭经济困难学生资助", district=district, stages="primary,junior",
        year=today.year, opens_on=today - dt.timedelta(days=1), closes_on=today + dt.timedelta(days=30),
        budget_fen=10**10,
    )  # fmt: skip
    levels = {
        c: SchemeLevel.objects.create(scheme=scheme, level=c, name=n, amount_fen=f)
        for c, n, f in (("1", "一档", 250000), ("2", "二档", 150000), ("3", "三档", 100000))
    }
    for q, c in {"dibao": "1", "tekun": "1", "disability": "2", "dibian": "3"}.items():
        LevelRule.objects.create(scheme=scheme, qualification=q, level=levels[c])
    guardian = User.objects.create(username="bench-guardian", role=Role.CITIZEN, real_name="王𠈌")
    case = case_open(
        service=ServiceItem.objects.get(code="ENR"), applicant=guardian, subject_name="王小明",
        channel="online", district=district,
    )  # fmt: skip
    ids = [_id_number(n) for n in range(students)]
    batch = []
    for n, id_number in enumerate(ids):
        student_no = "G" + id_number
        batch.append(
            StudentRecord(
                student_no=student_no,
                student_no_hash=pii.keyed_hash(student_no),
                name=f"学生{n}",
                school=schools[n % len(schools)],
                stage="primary",
                entry_year=today.year - 3,
                grade=3,
                source_case=case,
            )  # fmt: skip
        )
        if len(batch) == 5000:
            StudentRecord.objects.bulk_create(batch)
            batch = []
    StudentRecord.objects.bulk_create(batch)
    valid = today + dt.timedelta(days=365)
    kinds = ("dibao", "tekun", "dibian")
    reg.WelfareRecord.objects.bulk_create(
        [
            reg.WelfareRecord(id_number=i, type=kinds[k % 3], valid_until=valid)
            for k, i in enumerate(ids[::33])
        ],
        batch_size=5000,
    )
    reg.DisabilityRecord.objects.bulk_create(
        [reg.DisabilityRecord(id_number=i, level=2) for i in ids[7::100]], batch_size=5000
    )
    return ids


def _measure(students: int, single: int, latency_ms: int) -> dict:
    import httpx

    from aid.finder import find_eligible_students
    from exchange import sources as S
    from exchange.client import recording
    from exchange.conf import get as conf_get
    from portal.cases.services import local_today
    from portal.core import http
    from sandbox import models as reg

    t0 = time.perf_counter()
    ids = _world(students)
    setup_s = time.perf_counter() - t0
    for source in ("welfare", "disability"):
        reg.SourceFault.objects.update_or_create(source=source, defaults={"latency_ms": latency_ms})
    http.set_transport(httpx.WSGITransport(app=_InProcess()))
    try:
        t = time.perf_counter()
        candidates = list(find_eligible_students(local_today().year))
        batch_s = time.perf_counter() - t
        batch_size = int(conf_get("EXCHANGE_BATCH_SIZE"))
        requests = 2 * -(-students // batch_size)

        sample = ids[:: max(students // single, 1)][:single]
        t = time.perf_counter()
        for id_number in sample:  # the ceiling: one look-up per student and registry, same client
            for fn in (S.welfare_records, S.disability_record):
                with recording():
                    try:
                        fn(id_number=id_number)
                    except Exception:  # noqa: BLE001, S112 - "not found" is an answer here
                        continue
        single_sample_s = time.perf_counter() - t
    finally:
        http.set_transport(None)
    single_projected_s = single_sample_s / len(sample) * students
    result = {
        "students": students,
        "latency_ms": latency_ms,
        "candidates": len(candidates),
        "batch_requests": requests,
        "batch_s": round(batch_s, 2),
        "ideal_s": round(requests * latency_ms / 1000, 2),
        "single_sample": len(sample),
        "single_sample_s": round(single_sample_s, 2),
        "single_projected_s": round(single_projected_s, 1),
        "ratio": round(batch_s / single_projected_s, 4) if single_projected_s else None,
        "setup_s": round(setup_s, 1),
    }
    print(
        f"aid finder: {students:,} students, {latency_ms} ms per request: batch scan {batch_s:.1f} s "
        f"({requests} requests, floor {result['ideal_s']} s, {len(candidates):,} to invite); one look-up "
        f"per student would take ~{single_projected_s:,.0f} s (measured {single_sample_s:.1f} s on "
        f"{len(sample)}); "
        f"ratio {result['ratio']}",
        flush=True,
    )
    return result


def run() -> dict:
    from django.apps import apps
    from django.db import connection

    if not apps.is_installed("sandbox"):
        return {"skipped": "SANDBOX_ENABLED is off: the stand-in registries are not installed"}
    students = _env_int("BENCH_AID_STUDENTS", STUDENTS)
    single = _env_int("BENCH_AID_SINGLE", SINGLE)
    latency_ms = _env_int("BENCH_AID_LATENCY_MS", LATENCY_MS)
    original_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    original_test_name = test_settings.get("NAME")
    scratch = None
    if connection.vendor == "sqlite":
        scratch = Path(tempfile.mkdtemp(prefix="bench-aid-")) / "aid.sqlite3"
        test_settings["NAME"] = str(scratch)
    else:
        test_settings["NAME"] = f"{original_name}_bench_aid"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        result = _measure(students, single, latency_ms)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
        test_settings["NAME"] = original_test_name
        if scratch is not None:
            for leftover in scratch.parent.glob("*"):
                leftover.unlink()
            scratch.parent.rmdir()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "aid_finder.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result
