"""After-school care, opening morning: 5,000 applications to 100 programmes from 16 clients, as a ratio
to the minimal-insert ceiling measured in the same run.

    python -m bench afterschool
    BENCH_AFTERSCHOOL_N=1000 python -m bench afterschool          # a quick run

The harness is enrollment's (bench/bench_enrollment.py and bench/enrollment_support): a PostgreSQL
database of its own (``portal_bench_afterschool``, created and dropped here) and Redis, the portal's
production settings (DEBUG off) in one gunicorn (gthread), the sandbox stand-ins in another (the
guardianship check reaches the 户籍 registry over a socket, latency 0), the asyncio load generator with
16 keep-alive clients, and the ceiling view ``POST /bench/insert/`` (the same token authentication,
middleware and gunicorn, and one SQL insert). Skipped, saying why, when PostgreSQL or Redis cannot be
reached or PostgreSQL has too few free connections.

1. Preparation (a child process: ``python -m bench.bench_afterschool prepare``): migrate; 100 primary
   schools with one programme each (slots 16:30 / 17:30 / 18:00 of 20 / 15 / 5 seats, open for
   applications now); N families — father and child in the 户籍 registry (load_registry's loader), the
   child's student record (学籍) on the studentstatus platform at one of the schools, the father's
   real-name account and API token. The requests are shuffled: every programme is applied to from the
   first minute, each family for one slot (half 17:30, a third 16:30, the rest 18:00).
2. The ceiling: ``/bench/insert/`` for BENCH_AFTERSCHOOL_CEILING_S seconds after a warm-up; then, for
   reference, enrollment's fair ceiling ``/bench/lookup-insert/`` (the same plus the one signed 户籍
   look-up the guardianship check needs) as long.
3. Opening morning: ``POST /api/v1/afterschool/applications/``, each of the N families once, 16 clients,
   no warm-up, until all are sent — or until BENCH_AFTERSCHOOL_SUBMIT_TIMEOUT seconds have passed (180,
   so that a busy two-core machine finishes in a few minutes; the figures then say how many were sent;
   0 = no limit).
4. Checks on the database: applications per state, seats held per slot against its capacity (overbooked
   slots: must be 0), and each slot's waitlist in submission order. During step 3 the database's busy
   sessions are sampled twice a second: the share waiting for the case-number counter (the kernel's
   gapless numbers, held to the commit), for a programme's row lock, for the WAL flush, or running.

Printed: throughput as a share of the ceiling's and p99 as a multiple of the ceiling's p99, with the raw
figures; written to ``bench-results/afterschool.json`` (and by ``python -m bench`` to results.json).
Settings (environment, prefix BENCH_AFTERSCHOOL): _N (5000), _PROGRAMS (100), _CLIENTS (16),
_CEILING_S (15), _WARMUP (3), _SUBMIT_TIMEOUT (180), _PORTAL_WORKERS / _PORTAL_THREADS (2 / 4),
_SANDBOX_WORKERS / _SANDBOX_THREADS (2 / 4), _DB (portal_bench_afterschool), _KEEP_DB (0).
"""

import dataclasses
import json
import os
import random
import secrets
import tempfile
import time
from pathlib import Path

from bench import bench_enrollment as harness
from bench.enrollment_support import stack

RESULTS_DIR = Path(__file__).resolve().parent.parent / "bench-results"
SUBMIT_PATH = "/api/v1/afterschool/applications/"
SLOTS = (("16:30", 20), ("17:30", 15), ("18:00", 5))  # 40 seats a programme
SLOT_WEIGHTS = (("16:30", 1 / 3), ("17:30", 1 / 2), ("18:00", 1 / 6))
SEAT_STATES = ("awaiting_review", "awaiting_payment", "enrolled")


def _env(name: str, default):
    return type(default)(os.environ.get("BENCH_AFTERSCHOOL_" + name, default))


def config() -> tuple[harness.Config, dict]:
    """Enrollment's Config (PostgreSQL server, Redis, servers) with this benchmark's sizes."""
    base = harness.Config.from_env()
    cfg = dataclasses.replace(
        base,
        clients=_env("CLIENTS", 16),
        warmup=_env("WARMUP", 3.0),
        duration=_env("CEILING_S", 15.0),
        portal_workers=_env("PORTAL_WORKERS", 2),
        portal_threads=_env("PORTAL_THREADS", 4),
        sandbox_workers=_env("SANDBOX_WORKERS", 2),
        sandbox_threads=_env("SANDBOX_THREADS", 4),
        worker_concurrency=0,  # no Celery worker runs: messages wait in a parked queue
        db_name=os.environ.get("BENCH_AFTERSCHOOL_DB", "portal_bench_afterschool"),
        keep_db=os.environ.get("BENCH_AFTERSCHOOL_KEEP_DB", "0") not in ("", "0", "false", "False"),
        parts="a",
    )
    own = {
        "n": _env("N", 5000),
        "programs": _env("PROGRAMS", 100),
        "submit_timeout_s": _env("SUBMIT_TIMEOUT", 180.0),
    }
    return cfg, own


# --- preparation (a child process on the benchmark database) ---------------------------------------------


def _id_number(birth, seq: int) -> str:
    from portal.core.idcodes import id_check_char

    first17 = f"330411{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def prepare(n: int, programs: int, out: Path, seed: int = 20260901) -> dict:
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from afterschool.models import Program, ProgramSlot
    from bench.enrollment_support.views import CREATE_TABLE_SQL
    from payments.models import Billing, FeeItem, FeeKind
    from portal.accounts.models import Role, User
    from portal.cases.services import local_today
    from portal.catalog.registry import sync_catalog
    from portal.core import pii
    from portal.orgs.models import District, School, Stage
    from studentstatus.models import StudentRecord
    from tests.integration.faults import load_population

    timings = {}
    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    sync_catalog()
    timings["migrate_s"] = time.perf_counter() - t

    t = time.perf_counter()
    today = local_today()
    district, _ = District.objects.get_or_create(code="330411", defaults={"name": "秀洲区"})
    schools, progs = [], []
    for k in range(programs):
        school = School.objects.create(
            district=district, code=f"ASC{k:03d}", name=f"第{k + 1}实验小学", stage=Stage.PRIMARY
        )
        fee = FeeItem.objects.create(
            code=f"asc-{k:03d}",
            name="课后托管服务费",
            kind=FeeKind.AFTERSCHOOL_CARE,
            billing=Billing.ONE_OFF,
            district=district,
            school=school,
            amount_fen=90000,
            days_to_pay=7,
        )
        program = Program.objects.create(
            school=school,
            name="课后托管",
            term="秋季学期",
            term_starts=today + dt.timedelta(days=30),
            term_ends=today + dt.timedelta(days=150),
            fee_item=fee,
            applications_open=today - dt.timedelta(days=1),
            applications_close=today + dt.timedelta(days=20),
        )
        ProgramSlot.objects.bulk_create(
            [ProgramSlot(program=program, leave_at=leave_at, capacity=c) for leave_at, c in SLOTS]
        )
        schools.append(school)
        progs.append(program)
    timings["programs_s"] = time.perf_counter() - t

    t = time.perf_counter()
    rng = random.Random(seed)
    persons, families = [], []
    for i in range(n):
        father = _id_number(dt.date(1985, 1, 1) + dt.timedelta(days=i // 400), (i % 400) * 2 + 1)
        child_birth = dt.date(2017, 1, 1) + dt.timedelta(days=i // 400)
        child = _id_number(child_birth, (i % 400) * 2 + 1)
        household = {
            "household_no": f"H-AS-{i:06d}",
            "address": "秀洲区新城街道1号",
            "community_code": "C1",
            "move_in_date": "2015-01-01",
        }
        persons += [
            {
                "id_number": father,
                "name": f"家长{i}",
                "gender": "M",
                "birth_date": father[6:10] + "-" + father[10:12] + "-" + father[12:14],
                "phone": None,
                "hukou": {**household, "relation": "head"},
            },
            {
                "id_number": child,
                "name": f"学生{i}",
                "gender": "M",
                "birth_date": f"{child_birth:%Y-%m-%d}",
                "phone": None,
                "hukou": {**household, "relation": "child"},
            },
        ]
        slot = rng.choices([s for s, _w in SLOT_WEIGHTS], weights=[w for _s, w in SLOT_WEIGHTS])[0]
        families.append({"father": father, "child": child, "program": i % programs, "slot": slot})
    counts = load_population({"persons": persons})  # the father heads the child's 户口簿: no birth record
    timings["registries_s"] = time.perf_counter() - t

    t = time.perf_counter()
    now, unusable = timezone.now(), make_password(None)
    User.objects.bulk_create(
        [
            User(
                username=f"asc{i:06d}",
                role=Role.CITIZEN,
                real_name=f"家长{i}",
                id_number=f["father"],
                id_number_hash=pii.keyed_hash(f["father"]),
                phone=f"139{i:08d}",
                phone_hash=pii.keyed_hash(f"139{i:08d}"),  # bulk_create skips save(), which sets it
                real_name_verified_at=now,
                password=unusable,
            )
            for i, f in enumerate(families)
        ],
        batch_size=1000,
    )
    users = dict(User.objects.filter(username__startswith="asc").values_list("username", "pk"))
    Token.objects.bulk_create(
        [Token(key=Token.generate_key(), user_id=users[f"asc{i:06d}"]) for i in range(n)], batch_size=1000
    )
    tokens = dict(Token.objects.values_list("user_id", "key"))
    StudentRecord.objects.bulk_create(
        [
            StudentRecord(
                student_no="G" + f["child"],
                student_no_hash=pii.keyed_hash("G" + f["child"]),
                name=f"学生{i}",
                school=schools[f["program"]],
                stage=Stage.PRIMARY,
                entry_year=2024,
                grade=3,
                class_name=f"三({i % 6 + 1})班",
            )
            for i, f in enumerate(families)
        ],
        batch_size=1000,
    )
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE_SQL)
    timings["accounts_s"] = time.perf_counter() - t

    plan = [
        {
            "token": tokens[users[f"asc{i:06d}"]],
            "body": {
                "program_id": progs[f["program"]].pk,
                "student_id_number": f["child"],
                "slot": f["slot"],
            },
        }
        for i, f in enumerate(families)
    ]
    rng.shuffle(plan)  # the opening morning: every programme from the first minute, in no order
    out.mkdir(parents=True, exist_ok=True)
    (out / "submit.json").write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    fair = [{"token": e["token"], "body": {"child_id_number": e["body"]["student_id_number"]}} for e in plan]
    (out / "fair.json").write_text(json.dumps(fair, ensure_ascii=False), encoding="utf-8")
    return {
        "families": n,
        "programs": programs,
        "seats": programs * sum(c for _s, c in SLOTS),
        "registry_records": counts,
        **{k: round(v, 1) for k, v in timings.items()},
    }


# --- checks on the database after the run -----------------------------------------------------------------


def database_checks(cfg: harness.Config) -> dict:
    from afterschool.models import Application, ProgramSlot

    app, slot = Application._meta.db_table, ProgramSlot._meta.db_table
    seat_states = ", ".join(f"'{s}'" for s in SEAT_STATES)
    conn = harness._pg_connect(cfg, cfg.db_name)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT state, count(*) FROM {app} GROUP BY state")  # noqa: S608
            states = dict(cursor.fetchall())
            cursor.execute(
                f"SELECT s.id, s.capacity, count(a.id) FILTER (WHERE a.state IN ({seat_states})), "  # noqa: S608
                f"count(a.id) FROM {slot} s LEFT JOIN {app} a ON a.slot_id = s.id GROUP BY s.id, s.capacity"
            )
            slots = cursor.fetchall()
            cursor.execute(  # a waitlisted application queued before one submitted earlier in its slot
                f"SELECT count(*) FROM (SELECT submitted_at, lag(submitted_at) OVER "  # noqa: S608
                f"(PARTITION BY slot_id ORDER BY queued_at, id) AS before FROM {app} "
                f"WHERE state = 'waitlisted') q WHERE q.before > q.submitted_at"
            )
            (out_of_order,) = cursor.fetchone()
            cursor.execute(  # slots where someone waits although a later application holds a seat
                f"SELECT count(*) FROM (SELECT slot_id, "  # noqa: S608
                f"max(submitted_at) FILTER (WHERE state IN ({seat_states})) AS last_seat, "
                f"min(submitted_at) FILTER (WHERE state = 'waitlisted') AS first_waiting "
                f"FROM {app} GROUP BY slot_id) q WHERE q.last_seat > q.first_waiting"
            )
            (unfair_slots,) = cursor.fetchone()
    finally:
        conn.close()
    return {
        "applications": sum(states.values()),
        "states": states,
        "seats_held": sum(held for _id, _cap, held, _n in slots),
        "seats_expected": sum(min(cap, n) for _id, cap, _held, n in slots),
        "overbooked_slots": sum(1 for _id, cap, held, _n in slots if held > cap),
        "waitlist_out_of_submission_order": out_of_order,
        "slots_with_a_later_seat_holder": unfair_slots,
    }


class WaitSampler:
    """What the benchmark database's busy sessions wait for, sampled twice a second during the opening
    morning (pg_stat_activity): the case-number counter's row lock, a programme's row lock, the WAL
    flush of a commit, or nothing (running). Says where the time under contention goes."""

    @staticmethod
    def kind(wait_type: str, wait_event: str, query: str) -> str:
        if not wait_type:
            return "running"
        if wait_type == "Lock":
            if "cases_referencecounter" in query:
                return "case_number_lock"
            return "programme_lock" if "afterschool_program" in query else "other_lock"
        if wait_event.startswith("WAL"):
            return "wal_flush"
        return f"other_{wait_type.lower()}"

    def __init__(self, cfg: harness.Config):
        import threading

        self.cfg, self.counts, self.samples = cfg, {}, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = harness._pg_connect(self.cfg)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                while not self.stop.wait(0.5):
                    cursor.execute(
                        "SELECT coalesce(wait_event_type, ''), coalesce(wait_event, ''), query "
                        "FROM pg_stat_activity "
                        "WHERE datname = %s AND state = 'active' AND backend_type = 'client backend' "
                        "AND pid <> pg_backend_pid()",
                        [self.cfg.db_name],
                    )
                    self.samples += 1
                    for wait_type, wait_event, query in cursor.fetchall():
                        kind = self.kind(wait_type, wait_event, query)
                        self.counts[kind] = self.counts.get(kind, 0) + 1
        finally:
            conn.close()

    def __enter__(self) -> "WaitSampler":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def figures(self) -> dict:
        total = sum(self.counts.values())
        return {
            "samples": self.samples,
            "mean_active_sessions": round(total / self.samples, 2) if self.samples else None,
            "share": {k: round(v / total, 3) for k, v in sorted(self.counts.items())} if total else {},
        }


# --- the run ---------------------------------------------------------------------------------------------


def run() -> dict:
    """The benchmark; a SIGTERM ends it through its clean-up (servers stopped, database dropped)."""
    return stack.run_with_cleanup("afterschool", _run)


def _run() -> dict:
    cfg, own = config()
    reason = harness.unreachable(cfg)
    if reason:
        print(f"afterschool: skipped — {reason}", flush=True)
        return {"skipped": reason}
    run_id = secrets.token_hex(4)
    parked = f"bench-afterschool-{run_id}-parked"
    portal_port, sandbox_port = stack.free_port(), stack.free_port()
    budget = harness.connection_budget(cfg)
    result: dict = {
        "config": {
            **own,
            "clients": cfg.clients,
            "ceiling_s": cfg.duration,
            "warmup_s": cfg.warmup,
            "portal": f"gunicorn gthread {cfg.portal_workers} x {cfg.portal_threads}",
            "sandbox": f"gunicorn gthread {cfg.sandbox_workers} x {cfg.sandbox_threads}",
            "database": cfg.database_url(),
        },
        "postgres_connections": budget,
        "load_average_at_start": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    if budget["free_after_peak"] < harness.RESERVED_CONNECTIONS:
        reason = (
            f"PostgreSQL has {budget['max_connections'] - budget['in_use_before']} free connections and this "
            f"run needs up to {budget['bench_peak']} (+{harness.RESERVED_CONNECTIONS} left for others)"
        )
        print(f"afterschool: skipped — {reason}", flush=True)
        return {"skipped": reason, **result}
    print(
        f"afterschool: database {cfg.database_url()}; portal {result['config']['portal']}, sandbox "
        f"{result['config']['sandbox']}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    started = time.perf_counter()
    services: list[stack.Service] = []
    with tempfile.TemporaryDirectory(prefix="bench-afterschool-") as tmp:
        work = Path(tmp)
        env = harness.child_env(
            cfg, run_id=run_id, portal_port=portal_port, sandbox_port=sandbox_port, queue=parked
        )
        env["BENCH_CACHE_KEY_PREFIX"] = f"bench-afterschool-{run_id}"
        try:
            harness.create_database(cfg)
            print(
                f"afterschool: preparing {own['programs']} programmes and {own['n']} families …", flush=True
            )
            result["prepare"] = stack.run_json(
                stack.python(
                    "-m",
                    "bench.bench_afterschool",
                    "prepare",
                    "--families",
                    str(own["n"]),
                    "--programs",
                    str(own["programs"]),
                    "--out",
                    str(work),
                ),
                env,
                timeout=1800,
                what="preparing the database",
            )
            print(f"  prepared: {result['prepare']}", flush=True)
            sandbox = stack.gunicorn(
                "sandbox",
                port=sandbox_port,
                workers=cfg.sandbox_workers,
                threads=cfg.sandbox_threads,
                env=env,
                log_dir=work,
            ).start()
            services.append(sandbox)
            stack.wait_http(f"http://127.0.0.1:{sandbox_port}/sandbox/sms/?phone=0", sandbox)
            portal = stack.gunicorn(
                "portal",
                port=portal_port,
                workers=cfg.portal_workers,
                threads=cfg.portal_threads,
                env=env,
                log_dir=work,
            ).start()
            services.append(portal)
            stack.wait_http(f"http://127.0.0.1:{portal_port}/api/v1/auth/me/", portal)
            base, plan = f"http://127.0.0.1:{portal_port}", work / "submit.json"

            print(
                f"afterschool: ceiling {harness.CEILING_PATH}, {cfg.clients} clients, {cfg.duration:.0f} s …"
            )
            servers = [portal, sandbox]
            ceiling = harness.load(
                cfg, env, url=base + harness.CEILING_PATH, plan=plan, reuse=True, servers=servers
            )
            harness._print_load("ceiling", ceiling)
            print(
                f"afterschool: fair ceiling {harness.FAIR_CEILING_PATH} (the one 户籍 look-up + the insert)"
            )
            fair = harness.load(
                cfg,
                env,
                url=base + harness.FAIR_CEILING_PATH,
                plan=work / "fair.json",
                reuse=True,
                servers=servers,
            )
            harness._print_load("fair", fair)
            print(f"afterschool: opening morning, {own['n']} applications from {cfg.clients} clients …")
            limit = own["submit_timeout_s"] or 86400.0  # 0: until every family has applied
            morning_cfg = dataclasses.replace(cfg, warmup=0.0, duration=limit)
            with WaitSampler(cfg) as waits:
                submit = harness.load(
                    morning_cfg, env, url=base + SUBMIT_PATH, plan=plan, reuse=False, servers=servers
                )
            result["database_waits"] = waits.figures()
            harness._print_load("submit", submit)
            portal.stop()
            result["portal_log_tail"] = harness._errors_in(portal)
            result["sandbox_log_tail"] = harness._errors_in(sandbox)
            result["ceiling"], result["fair_ceiling"], result["submit"] = ceiling, fair, submit
            result["checks"] = database_checks(cfg)
        finally:
            for service in reversed(services):
                service.stop()
            harness.cleanup_redis(cfg, [parked], f"bench-afterschool-{run_id}")
            if not cfg.keep_db:
                harness.drop_database(cfg)
    share = submit["req_per_s"] / ceiling["req_per_s"] if ceiling["req_per_s"] else None
    p99_ratio = submit["p99_ms"] / ceiling["p99_ms"] if submit["p99_ms"] and ceiling["p99_ms"] else None
    fair_share = submit["req_per_s"] / fair["req_per_s"] if fair["req_per_s"] else None
    result |= {
        "applications_sent": submit["requests"],
        "all_sent": submit["requests"] >= own["n"],
        "throughput_share_of_ceiling": round(share, 3) if share is not None else None,
        "p99_multiple_of_ceiling": round(p99_ratio, 2) if p99_ratio is not None else None,
        "throughput_share_of_fair_ceiling": round(fair_share, 3) if fair_share is not None else None,
        "total_s": round(time.perf_counter() - started, 1),
    }
    checks = result["checks"]
    print(
        f"  fair ceiling (the one 户籍 look-up + the insert): {fair['req_per_s']} req/s, "
        f"p99 {fair['p99_ms']} ms; the morning at {harness._pct(fair_share)} of it",
        flush=True,
    )
    print(f"  database sessions during the morning: {result['database_waits']}", flush=True)
    print(
        f"afterschool: opening morning {submit['requests']} of {own['n']} applications to "
        f"{own['programs']} programmes in {submit['duration_s']} s: {submit['req_per_s']} req/s = "
        f"{harness._pct(share)} of the ceiling's {ceiling['req_per_s']} req/s; p99 {submit['p99_ms']} ms = "
        f"{result['p99_multiple_of_ceiling']} x the ceiling's {ceiling['p99_ms']} ms; "
        f"{submit['errors']} errors {submit['status_counts']}",
        flush=True,
    )
    print(
        f"  checks: states {checks['states']}; seats held {checks['seats_held']} of "
        f"{checks['seats_expected']} expected; overbooked slots {checks['overbooked_slots']}; waitlist out "
        f"of submission order {checks['waitlist_out_of_submission_order']}; slots where a later application "
        f"holds a seat {checks['slots_with_a_later_seat_holder']}",
        flush=True,
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / "afterschool.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"afterschool: done in {result['total_s']} s; figures in {out}", flush=True)
    return result


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare")
    prep.add_argument("--families", type=int, required=True)
    prep.add_argument("--programs", type=int, required=True)
    prep.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.enrollment_support.settings")
    import django

    django.setup()
    print(json.dumps(prepare(args.families, args.programs, args.out), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
