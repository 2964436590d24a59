"""Allocate 100,000 qualified applications across 500 schools, database reads and writes included, and
the same draw in memory only.

    python -m bench admission

A throw-away database (all migrations applied) gets one district with 500 located primary schools and
their capacities (~95,000 seats, so some applicants are redistributed and a few wait) and 100,000
qualified applications written with ``bulk_create`` (set-up, not timed). Timed:

- ``db_s``: ``admission.services.allocation_execute`` of a real run — read the applications and seats,
  rank, lottery and redistribution, then lock the ledgers, write 100,000 placements, update the ledgers,
  write the published inputs file — one transaction (target ≤ 10 s);
- ``memory_s``: ``admission.allocation.allocate`` alone on the same inputs.

``BENCH_ADMISSION_APPLICANTS`` / ``BENCH_ADMISSION_SCHOOLS`` change the size.
"""

import json
import os
import random
import tempfile
import time
from pathlib import Path

APPLICANTS = 100_000
SCHOOLS = 500
SEED = 20270601


def _populate(n_apps: int, n_schools: int) -> None:
    from django.utils import timezone

    from enrollment.models import Application, State
    from enrollment.selectors import ensure_default_rules
    from portal.accounts.models import User
    from portal.cases.models import Case
    from portal.catalog.models import ServiceItem
    from portal.catalog.registry import sync_catalog
    from portal.orgs.models import District, School, SchoolCapacity

    rng = random.Random(SEED)
    sync_catalog()
    district = District.objects.create(code="330411", name="秀洲区")
    ensure_default_rules(district=district, year=2027, stage="primary")
    schools = School.objects.bulk_create(
        School(
            district=district,
            code=f"P{i:04d}",
            name=f"第{i}小学",
            stage="primary",
            lat=30.5 + rng.random() * 0.6,
            lng=120.4 + rng.random() * 0.6,
        )
        for i in range(n_schools)
    )
    per_school = n_apps * 95 // 100 // n_schools
    SchoolCapacity.objects.bulk_create(
        SchoolCapacity(school=s, year=2027, seats=max(0, per_school + rng.randint(-40, 40))) for s in schools
    )
    guardian = User.objects.create(username="bench-guardian", real_name="家长")
    service = ServiceItem.objects.get(code="ENR")
    today = timezone.localdate()
    cases = Case.objects.bulk_create(
        (
            Case(
                reference_no=f"JY-ENR-2027-{i:06d}",
                service=service,
                applicant=guardian,
                subject_name="儿童",
                district=district,
                accepted_on=today,
                status="in_progress",
            )
            for i in range(1, n_apps + 1)
        ),
        batch_size=5000,
    )
    weights = [rng.random() ** 2 + 0.2 for _ in schools]  # some zones are much more popular
    tiers = ["A", "A", "B", "C", "D", "E"]
    dates = [f"20{y:02d}-{m:02d}-01" for y in range(10, 21) for m in (1, 4, 7, 10)]
    zones = rng.choices(schools, weights=weights, k=n_apps)
    now = timezone.now()
    apps = []
    for i, case in enumerate(cases):
        tier = rng.choice(tiers)
        apps.append(
            Application(
                case=case,
                year=2027,
                stage="primary",
                guardian=guardian,
                child_id_number="330411202103150000",
                child_id_hash=f"bench{i}",
                child_name="王小明",
                residence="owned",
                consent_at=now,
                state=State.QUALIFIED,
                category=tier,
                points=rng.randint(0, 120) if tier == "D" else None,
                tie_date=rng.choice(dates),
                zone_school=zones[i],
            )
        )
    # a few hundred pairs of twins bound together
    Application.objects.bulk_create(apps, batch_size=5000)
    ids = list(Application.objects.order_by("pk").values_list("pk", flat=True))
    pairs = [(ids[k], ids[k + 1]) for k in range(0, min(len(ids) - 1, 600), 2)]
    for younger, older in pairs:
        Application.objects.filter(pk=younger).update(sibling_id=older)


def _measure(n_apps: int, n_schools: int) -> dict:
    from admission import allocation as A
    from admission import services
    from admission.models import Placement, SeatLedger
    from portal.orgs.models import District

    t0 = time.perf_counter()
    _populate(n_apps, n_schools)
    setup_s = time.perf_counter() - t0
    round_ = services.round_for(district=District.objects.get(), year=2027, stage="primary")
    run = services.allocation_start(round_=round_, by=None, seed="bench-seed", queue=False)

    t = time.perf_counter()
    run = services.allocation_execute(run_id=run.pk)
    db_s = time.perf_counter() - t

    doc = json.loads(run.inputs_file.read())  # the run's published inputs: the same draw in memory
    seed, schools, applicants, use_dates = A.load_inputs(doc)
    t = time.perf_counter()
    result = A.allocate(schools, applicants, seed, use_dates=use_dates)
    memory_s = time.perf_counter() - t
    overbooked = sum(1 for s in SeatLedger.objects.all() if s.taken > s.seats)
    return {
        "applicants": n_apps,
        "schools": n_schools,
        "setup_s": round(setup_s, 2),
        "db_s": round(db_s, 3),
        "memory_s": round(memory_s, 3),
        "target_db_s": 10,
        "placements": Placement.objects.count(),
        "counts": run.summary["counts"],
        "same_result_in_memory": result.digest() == run.result_sha256,
        "overbooked_schools": overbooked,
        "phases": run.summary.get("timings"),
        "load_average_at_end": os.getloadavg()[0],
    }


def run() -> dict:
    from django.db import connection

    n_apps = int(os.environ.get("BENCH_ADMISSION_APPLICANTS", APPLICANTS))
    n_schools = int(os.environ.get("BENCH_ADMISSION_SCHOOLS", SCHOOLS))
    original_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    original_test_name = test_settings.get("NAME")
    scratch = None
    if connection.vendor == "sqlite":
        scratch = Path(tempfile.mkdtemp(prefix="bench-admission-")) / "admission.sqlite3"
        test_settings["NAME"] = str(scratch)
    else:
        test_settings["NAME"] = f"{original_name}_bench_admission"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    media = tempfile.mkdtemp(prefix="bench-admission-media-")
    from django.test import override_settings

    try:
        with override_settings(MEDIA_ROOT=media):
            result = _measure(n_apps, n_schools)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
        test_settings["NAME"] = original_test_name
        import shutil

        shutil.rmtree(media, ignore_errors=True)
        if scratch is not None:
            shutil.rmtree(scratch.parent, ignore_errors=True)
    result["database"] = connection.vendor
    print(
        f"admission: {n_apps:,} applicants / {n_schools} schools on {connection.vendor}: "
        f"with database reads and writes {result['db_s']} s (target ≤ 10 s), "
        f"in memory {result['memory_s']} s; "
        f"{result['counts']}; overbooked schools: {result['overbooked_schools']}",
        flush=True,
    )
    return result
