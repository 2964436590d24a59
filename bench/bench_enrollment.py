"""Enrollment on the production stack: the submit endpoint against a ceiling, and verification at volume.

    python -m bench enrollment
    BENCH_ENROLLMENT_N=500 BENCH_ENROLLMENT_DURATION=10 python -m bench enrollment   # a quick run

Runs on PostgreSQL (a database of its own, ``portal_bench``, created and dropped here, on the server of
``DATABASE_URL`` or postgres://postgres@127.0.0.1:5432) and Redis (``CELERY_BROKER_URL`` or
redis://127.0.0.1:6379/10; the cache on the next database number, under a key prefix of its own). If
either is unreachable — or PostgreSQL has too few free connections for the run's servers and worker,
leaving 10 for others — it says so and returns ``{"skipped": …}``. Everything runs in separate processes
with the portal's production settings (DEBUG off) plus ``/bench/insert/`` (bench/enrollment_support):

(a) Submit endpoint. One gunicorn (gthread) serves the portal, another the sandbox stand-ins, which the
    portal reaches over a socket (SANDBOX_BASE_URL, EXCHANGE_BASE_URL, IDP_URL, SMS_GATEWAY_URL). A load
    generator process (asyncio, 16 keep-alive clients) warms up, then measures for a fixed duration:
    first the ceiling — ``POST /bench/insert/``, the same token authentication, middleware and gunicorn,
    and one SQL insert — then the fair ceiling — ``POST /bench/lookup-insert/``, the same plus the one
    signed 户籍 look-up the contract requires before it can answer 403 — then
    ``POST /api/v1/enrollment/applications/``, one distinct child (family, token) per request, registry
    latency 0. Target: ≥ 60 % of the fair ceiling's throughput, p99 < 400 ms. Then a third portal server
    (one worker, one thread) profiles _PROFILE_REQUESTS submissions with cProfile and prints where the
    portal's time goes, by area and by function.

(b) Verification. N applications are submitted through ``application_submit`` (latency 0, parallel
    processes; no new one after BENCH_ENROLLMENT_CREATE_TIMEOUT — on two cores the service creates some
    20-30 a second, so 10,000 alone outlast the ten minutes the whole benchmark should take, and the
    figures say how many were created). Their verification tasks wait in the queue. Then every registry
    gets 50 ms of latency, a Celery worker (prefork) starts, and the clock runs from its "ready" until
    every application is decided (qualified or needs_review). The ideal, latency-bound time is

        ideal = applications × mean waves per application × latency / C
        waves = ceil(first-round look-ups / ENROLLMENT_LOOKUP_WORKERS) + (1 if a second round was needed)

    (the second round is the sole-residence proof, which needs the first round's certificate number;
    look-ups per application are counted from the recorded ``Lookup`` rows; C is the worker's
    concurrency: each process verifies one application at a time). The ratio is measured / ideal.
    Verification stops at BENCH_ENROLLMENT_VERIFY_TIMEOUT; a partial run reports the ratio over the
    applications decided so far, its rate and the projected time for all. Each decision is also compared
    with the outcome the family was built to have.

For the issue's full sizes whatever they take: BENCH_ENROLLMENT_CREATE_TIMEOUT=0 _VERIFY_TIMEOUT=0.
Figures are printed and written to ``bench-results/enrollment.json``; ``python -m bench`` also records
them in ``results.json``. Settings (environment, prefix BENCH_ENROLLMENT): _N (10000), _DURATION (30 s),
_WARMUP (5 s), _CLIENTS (16), _PROFILE_REQUESTS (200), _CLIENT (raw | httpx, see loadgen.py),
_SUBMIT_FAMILIES (5000: families for part a, one per request), _LATENCY_MS (50), _WORKER_CONCURRENCY (4),
_PORTAL_WORKERS / _PORTAL_THREADS (2 / 4), _SANDBOX_WORKERS / _SANDBOX_THREADS (2 / enough threads for
every look-up the worker can have in flight), _CREATE_PROCS / _CREATE_THREADS
(2 / 4), _CREATE_TIMEOUT (240 s), _VERIFY_TIMEOUT (300 s), _DB (portal_bench), _KEEP_DB (0), _PARTS (ab);
and the portal's own ENROLLMENT_LOOKUP_WORKERS (6).
"""

import base64
import json
import math
import os
import secrets
import subprocess
import tempfile
import time
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.enrollment_support import stack

RESULTS_DIR = Path(__file__).resolve().parent.parent / "bench-results"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
SUBMIT_PATH = "/api/v1/enrollment/applications/"
CEILING_PATH = "/bench/insert/"
FAIR_CEILING_PATH = "/bench/lookup-insert/"
TARGET_SHARE, TARGET_P99_MS = 0.60, 400.0
RESERVED_CONNECTIONS = 10  # PostgreSQL connections left free for whoever else uses the server


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass
class Config:
    n: int = 10_000
    duration: float = 30.0
    warmup: float = 5.0
    clients: int = 16
    client: str = "raw"
    submit_families: int = 5_000
    latency_ms: int = 50
    worker_concurrency: int = 4
    lookup_workers: int = 6
    portal_workers: int = 2
    portal_threads: int = 4
    sandbox_workers: int = 2
    sandbox_threads: int = 0  # 0: enough for every look-up the worker can have in flight
    create_procs: int = 2
    create_threads: int = 4
    create_timeout: float = 240.0
    verify_timeout: float = 300.0
    db_name: str = "portal_bench"
    keep_db: bool = False
    parts: str = "ab"
    profile_requests: int = 200
    pg_server: str = DEFAULT_PG
    broker_url: str = DEFAULT_REDIS
    cache_url: str = field(default="", repr=False)

    @classmethod
    def from_env(cls) -> "Config":
        from django.conf import settings

        e = "BENCH_ENROLLMENT_"
        cfg = cls(
            n=_env_int(e + "N", cls.n),
            duration=_env_float(e + "DURATION", cls.duration),
            warmup=_env_float(e + "WARMUP", cls.warmup),
            clients=_env_int(e + "CLIENTS", cls.clients),
            client=os.environ.get(e + "CLIENT", cls.client),
            submit_families=_env_int(e + "SUBMIT_FAMILIES", cls.submit_families),
            latency_ms=_env_int(e + "LATENCY_MS", cls.latency_ms),
            worker_concurrency=_env_int(e + "WORKER_CONCURRENCY", cls.worker_concurrency),
            lookup_workers=int(getattr(settings, "ENROLLMENT_LOOKUP_WORKERS", cls.lookup_workers)),
            portal_workers=_env_int(e + "PORTAL_WORKERS", cls.portal_workers),
            portal_threads=_env_int(e + "PORTAL_THREADS", cls.portal_threads),
            sandbox_workers=_env_int(e + "SANDBOX_WORKERS", cls.sandbox_workers),
            sandbox_threads=_env_int(e + "SANDBOX_THREADS", cls.sandbox_threads),
            create_procs=_env_int(e + "CREATE_PROCS", cls.create_procs),
            create_threads=_env_int(e + "CREATE_THREADS", cls.create_threads),
            create_timeout=_env_float(e + "CREATE_TIMEOUT", cls.create_timeout),
            verify_timeout=_env_float(e + "VERIFY_TIMEOUT", cls.verify_timeout),
            db_name=os.environ.get(e + "DB", cls.db_name),
            keep_db=os.environ.get(e + "KEEP_DB", "0") not in ("", "0", "false", "False"),
            parts=os.environ.get(e + "PARTS", cls.parts).lower(),
            profile_requests=_env_int(e + "PROFILE_REQUESTS", cls.profile_requests),
        )
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
            parts = urlsplit(database_url)
            cfg.pg_server = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        broker = os.environ.get("CELERY_BROKER_URL", "")
        if broker.startswith("redis://"):
            cfg.broker_url = broker
        if cfg.sandbox_threads <= 0:
            in_flight = cfg.worker_concurrency * cfg.lookup_workers
            cfg.sandbox_threads = max(cfg.portal_threads, math.ceil(in_flight / cfg.sandbox_workers))
        broker_parts = urlsplit(cfg.broker_url)
        broker_db = int(broker_parts.path.strip("/") or 0)
        cfg.cache_url = urlunsplit(
            (broker_parts.scheme, broker_parts.netloc, f"/{(broker_db + 1) % 16}", "", "")
        )
        return cfg

    def database_url(self, name: str | None = None) -> str:
        return f"{self.pg_server}/{name or self.db_name}"


# --- reachability, database, Redis -----------------------------------------------------------------------


def _pg_connect(cfg: Config, dbname: str = "postgres"):
    import psycopg2

    parts = urlsplit(cfg.pg_server)
    return psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=dbname,
        connect_timeout=3,
    )


def unreachable(cfg: Config) -> str | None:
    """Why the benchmark cannot run here, or None."""
    import psycopg2
    import redis

    try:
        _pg_connect(cfg).close()
    except psycopg2.Error as exc:
        return f"PostgreSQL at {cfg.pg_server} unreachable: {str(exc).strip()}"
    try:
        redis.Redis.from_url(cfg.broker_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {cfg.broker_url} unreachable: {exc}"
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return "gunicorn is not installed (pip install -e .)"
    return None


def _admin(cfg: Config, sql: str) -> None:
    conn = _pg_connect(cfg)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def create_database(cfg: Config) -> None:
    _admin(cfg, f'DROP DATABASE IF EXISTS "{cfg.db_name}" WITH (FORCE)')
    _admin(cfg, f'CREATE DATABASE "{cfg.db_name}"')


def drop_database(cfg: Config) -> None:
    _admin(cfg, f'DROP DATABASE IF EXISTS "{cfg.db_name}" WITH (FORCE)')


def connection_budget(cfg: Config) -> dict:
    conn = _pg_connect(cfg)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            (max_connections,) = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
            (in_use,) = cursor.fetchone()
    finally:
        conn.close()
    portal = cfg.portal_workers * cfg.portal_threads
    sandbox = cfg.sandbox_workers * cfg.sandbox_threads
    worker = cfg.worker_concurrency * (1 + cfg.lookup_workers)
    peak = max(portal + sandbox, sandbox + worker) + 2  # + this process and a helper
    return {
        "max_connections": int(max_connections),
        "in_use_before": in_use,
        "bench_peak": peak,
        "free_after_peak": int(max_connections) - in_use - peak,
    }


def cleanup_redis(cfg: Config, queues: list[str], cache_prefix: str) -> None:
    """Delete this run's queues, kombu bindings and cache keys (and nothing else)."""
    import redis

    with suppress(redis.RedisError):  # a lost Redis must not hide the figures
        broker = redis.Redis.from_url(cfg.broker_url, socket_connect_timeout=2)
        for queue in queues:
            broker.delete(
                queue,
                *(f"{queue}\x06\x16{p}" for p in range(1, 10)),  # kombu's priority sub-queues
                f"_kombu.binding.{queue}",
                f"_kombu.binding_permanent.{queue}",
            )
            for key in broker.scan_iter("_kombu.binding*"):  # shared binding sets: only our members
                kind = broker.type(key)
                if kind == b"set":
                    members, remove = broker.smembers(key), broker.srem
                elif kind == b"zset":
                    members, remove = broker.zrange(key, 0, -1), broker.zrem
                else:
                    continue
                for member in members:
                    if queue.encode() in member:
                        remove(key, member)
        cache = redis.Redis.from_url(cfg.cache_url, socket_connect_timeout=2)
        for key in cache.scan_iter(f"{cache_prefix}:*"):  # Django's keys: "<prefix>:<version>:<key>"
            cache.delete(key)


# --- the processes' environment --------------------------------------------------------------------------


def child_env(cfg: Config, *, run_id: str, portal_port: int, sandbox_port: int, queue: str) -> dict:
    """The environment of every process of the run: production settings (DEBUG off, fresh secrets),
    the bench database, Redis, and the sandbox's gunicorn as every external system."""
    sandbox = f"http://127.0.0.1:{sandbox_port}/sandbox/"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.enrollment_support.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(stack.ROOT), os.environ.get("PYTHONPATH")])),
        DATABASE_URL=cfg.database_url(),
        CACHE_URL=cfg.cache_url,
        BENCH_CACHE_KEY_PREFIX=f"bench-enrollment-{run_id}",
        CELERY_BROKER_URL=cfg.broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CELERY_TASK_ALWAYS_EAGER="False",
        SANDBOX_ENABLED="True",
        SITE_URL=f"http://127.0.0.1:{portal_port}",
        SANDBOX_BASE_URL=sandbox,
        EXCHANGE_BASE_URL=f"{sandbox}exchange/",
        IDP_URL=f"{sandbox}idp/person/",
        SMS_GATEWAY_URL=f"{sandbox}sms/send/",
        ENROLLMENT_LOOKUP_WORKERS=str(cfg.lookup_workers),
        DEBUG="False",
        SECURE_SSL_REDIRECT="False",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        PII_HASH_KEY=secrets.token_urlsafe(32),
        EXCHANGE_APP_SECRET=secrets.token_urlsafe(32),
        SMS_GATEWAY_KEY=secrets.token_urlsafe(16),
        IDP_APP_SECRET=secrets.token_urlsafe(32),
        LOG_LEVEL="WARNING",
    )
    env.pop("CONN_MAX_AGE", None)  # the portal's default (60 s): persistent connections, as deployed
    return env


def with_queue(env: dict, queue: str) -> dict:
    return {**env, "CELERY_TASK_DEFAULT_QUEUE": queue}


# --- part (a): the submit endpoint against the ceiling ----------------------------------------------------


def load(
    cfg: Config,
    env: dict,
    *,
    url: str,
    plan: Path,
    reuse: bool,
    servers: list,
    clients: int | None = None,
    warmup: float | None = None,
    offset: int = 0,
    max_requests: int = 0,
    duration: float | None = None,
) -> dict:
    warmup = cfg.warmup if warmup is None else warmup
    duration = cfg.duration if duration is None else duration
    argv = stack.python(
        "-m",
        "bench.enrollment_support.loadgen",
        "--url",
        url,
        "--plan",
        str(plan),
        "--clients",
        str(clients or cfg.clients),
        "--warmup",
        str(warmup),
        "--duration",
        str(duration),
        "--client",
        cfg.client,
        "--offset",
        str(offset),
        "--max-requests",
        str(max_requests),
    ) + (["--reuse"] if reuse else [])
    cpu0 = {s.name: s.cpu() for s in servers}
    result = stack.run_json(argv, env, timeout=warmup + duration + 120, what="load generator")
    handled = max(1, result["requests"] + result["warmup_requests"])
    result["server_cpu_ms_per_request"] = {
        s.name: round(1000 * (s.cpu() - cpu0[s.name]) / handled, 1) for s in servers
    }
    return result


def part_a(cfg: Config, env: dict, plan: Path, portal_port: int, servers: list) -> dict:
    """The submit endpoint against two ceilings measured in the same run, on the same server: the plain
    one-insert view, and the fair ceiling (the one signed 户籍 look-up the contract requires + one insert),
    which is what the target is measured against."""
    base = f"http://127.0.0.1:{portal_port}"
    print(
        f"enrollment (a): ceiling {CEILING_PATH}, {cfg.clients} clients, {cfg.duration:.0f} s …", flush=True
    )
    ceiling = load(cfg, env, url=base + CEILING_PATH, plan=plan, reuse=True, servers=servers)
    _print_load("ceiling", ceiling)
    print(f"enrollment (a): fair ceiling {FAIR_CEILING_PATH} (one signed look-up + one insert) …", flush=True)
    fair = load(cfg, env, url=base + FAIR_CEILING_PATH, plan=plan, reuse=True, servers=servers)
    _print_load("fair", fair)
    print(f"enrollment (a): submit {SUBMIT_PATH}, one new child per request …", flush=True)
    submit = load(cfg, env, url=base + SUBMIT_PATH, plan=plan, reuse=False, servers=servers)
    _print_load("submit", submit)
    share = submit["req_per_s"] / fair["req_per_s"] if fair["req_per_s"] else None
    plain_share = submit["req_per_s"] / ceiling["req_per_s"] if ceiling["req_per_s"] else None
    p99 = submit["p99_ms"]
    result = {
        "ceiling": ceiling,
        "fair_ceiling": fair,
        "submit": submit,
        "share_of_fair_ceiling": round(share, 3) if share is not None else None,
        "share_of_insert_ceiling": round(plain_share, 3) if plain_share is not None else None,
        "meets_share_target": share is not None and share >= TARGET_SHARE and submit["errors"] == 0,
        "meets_p99_target": p99 is not None and p99 < TARGET_P99_MS,
    }
    print(
        f"enrollment (a): submit at {_pct(share)} of the fair ceiling (target ≥ {TARGET_SHARE:.0%}: "
        f"{'met' if result['meets_share_target'] else 'NOT met'}), {_pct(plain_share)} of the one-insert "
        f"ceiling; p99 {p99} ms (target < {TARGET_P99_MS:.0f} ms: "
        f"{'met' if result['meets_p99_target'] else 'NOT met'})",
        flush=True,
    )
    if submit["ran_out"]:
        print(
            "enrollment (a): the submit run used every prepared family before its end; raise "
            "BENCH_ENROLLMENT_SUBMIT_FAMILIES for a full-length run",
            flush=True,
        )
    return result


def profile_submit(cfg: Config, env: dict, plan: Path, offset: int, work: Path, servers: list) -> dict:
    """The portal's share of a submission, broken down: a second portal server (one worker, one thread)
    profiles ``cfg.profile_requests`` sequential submissions with cProfile (profiling.py)."""
    if cfg.profile_requests <= 0:
        return {"skipped": "BENCH_ENROLLMENT_PROFILE_REQUESTS=0"}
    out = work / "submit.prof"
    port = stack.free_port()
    every = max(1, min(25, cfg.profile_requests))
    skip = 10
    penv = {
        **env,
        "BENCH_PROFILE_OUT": str(out),
        "BENCH_PROFILE_PATH": SUBMIT_PATH,
        "BENCH_PROFILE_EVERY": str(every),
        "BENCH_PROFILE_SKIP": str(skip),
    }
    server = stack.gunicorn("portal-profile", port=port, workers=1, threads=1, env=penv, log_dir=work).start()
    try:
        stack.wait_http(f"http://127.0.0.1:{port}/api/v1/auth/me/", server)
        print(f"enrollment (a): profiling {cfg.profile_requests} submissions, one at a time …", flush=True)
        run = load(
            cfg,
            env,
            url=f"http://127.0.0.1:{port}{SUBMIT_PATH}",
            plan=plan,
            reuse=False,
            servers=[server, *servers],
            clients=1,
            warmup=0,
            offset=offset,
            max_requests=skip + cfg.profile_requests - cfg.profile_requests % every,
            duration=max(cfg.duration, 120.0),
        )
    finally:
        server.stop()
    if not out.exists():
        return {"skipped": "the profiled server wrote no statistics", "log": server.log_tail(2000)}
    from bench.enrollment_support.profiling import breakdown

    RESULTS_DIR.mkdir(exist_ok=True)
    kept = RESULTS_DIR / "enrollment-submit.prof"  # for `python -m pstats` or snakeviz
    kept.write_bytes(out.read_bytes())
    result = {"load": run, "stats_file": str(kept), **breakdown(str(out))}
    print(
        f"enrollment (a): portal CPU per submission {result['cpu_ms_per_request']} ms under cProfile "
        f"({result['requests']} submissions); by area (own time, ms):",
        flush=True,
    )
    for area, ms in result["own_ms_per_request_by_area"].items():
        print(f"  {ms:7.2f}  {area}", flush=True)
    print("enrollment (a): functions with the most cumulative time (ms per submission):", flush=True)
    for name, ms in result["top_cumulative_ms_per_request"][:15]:
        print(f"  {ms:7.2f}  {name}", flush=True)
    return result


def _pct(x):
    return f"{x:.1%}" if x is not None else "n/a"


def _print_load(label: str, r: dict) -> None:
    print(
        f"  {label:8s} {r['req_per_s']:8.1f} req/s  p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  "
        f"p99 {r['p99_ms']} ms  max {r['max_ms']} ms  ({r['requests']} requests in {r['duration_s']} s, "
        f"{r['errors']} errors {r['status_counts']}; server CPU ms/request {r['server_cpu_ms_per_request']}; "
        f"client CPU {r['client_cpu_ms_per_request']} ms/request)",
        flush=True,
    )


# --- part (b): verification at volume -----------------------------------------------------------------


class Db:
    """Read-only queries on the benchmark database from this process (its Django is set up elsewhere)."""

    def __init__(self, cfg: Config):
        from enrollment.models import Application
        from exchange.models import Lookup

        self.cfg = cfg
        self.app_table = Application._meta.db_table
        self.app_case = Application._meta.get_field("case").column
        self.app_guardian = Application._meta.get_field("guardian").column
        self.lookup_table = Lookup._meta.db_table
        self.lookup_case = Lookup._meta.get_field("case").column
        self.conn = _pg_connect(cfg, cfg.db_name)
        self.conn.autocommit = True

    def rows(self, sql: str, params=()) -> list[tuple]:
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def max_application_id(self) -> int:
        return self.rows(f"SELECT coalesce(max(id), 0) FROM {self.app_table}")[0][0]  # noqa: S608

    def max_lookup_id(self) -> int:
        return self.rows(f"SELECT coalesce(max(id), 0) FROM {self.lookup_table}")[0][0]  # noqa: S608

    def lookup_outcomes(self, after_id: int, upto_id: int | None = None) -> dict[str, int]:
        """Look-ups recorded in an id range, by outcome (ok, not_found, unavailable …)."""
        sql = f"SELECT outcome, count(*) FROM {self.lookup_table} WHERE id > %s"  # noqa: S608
        params = [after_id]
        if upto_id is not None:
            sql += " AND id <= %s"
            params.append(upto_id)
        return dict(self.rows(sql + " GROUP BY outcome", params))

    def states(self, after_id: int) -> dict[str, int]:
        sql = f"SELECT state, count(*) FROM {self.app_table} WHERE id > %s GROUP BY state"  # noqa: S608
        return dict(self.rows(sql, [after_id]))

    def close(self) -> None:
        self.conn.close()


def create_applications(cfg: Config, env: dict, families: Path, n: int, log_dir: Path) -> dict:
    """``application_submit`` for the first ``n`` verification families, in parallel processes."""
    procs = max(1, min(cfg.create_procs, n))
    bounds = [round(k * n / procs) for k in range(procs + 1)]
    started = time.perf_counter()
    deadline = time.time() + cfg.create_timeout if cfg.create_timeout > 0 else 0.0
    running = []
    for k in range(procs):
        argv = stack.python(
            "-m",
            "bench.enrollment_support.create",
            "--families",
            str(families),
            "--start",
            str(bounds[k]),
            "--stop",
            str(bounds[k + 1]),
            "--threads",
            str(cfg.create_threads),
            "--deadline",
            str(deadline),
        )
        log = open(log_dir / f"create-{k}.err", "wb")  # noqa: SIM115 - closed below
        running.append(
            (subprocess.Popen(argv, cwd=stack.ROOT, env=env, stdout=subprocess.PIPE, stderr=log), log)  # noqa: S603
        )
    created, failed, errors = 0, 0, []
    try:
        for proc, log in running:
            out, _ = proc.communicate(timeout=3600)
            log.close()
            lines = [line for line in out.decode().splitlines() if line.startswith("{")]
            if proc.returncode != 0 or not lines:
                raise RuntimeError(f"creating applications failed:\n{Path(log.name).read_text()[-3000:]}")
            r = json.loads(lines[-1])
            created, failed, errors = created + r["created"], failed + r["failed"], errors + r["errors"]
    finally:
        for proc, log in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    seconds = time.perf_counter() - started
    return {
        "requested": n,
        "created": created,
        "stopped_by_time_limit": created + failed < n,
        "failed": failed,
        "errors": errors[:5],
        "seconds": round(seconds, 1),
        "per_s": round(created / seconds, 1) if seconds else None,
        "processes": procs,
        "threads_per_process": cfg.create_threads,
    }


def wait_decided(cfg: Config, db: Db, after_id: int, total: int, ready_at: float, worker) -> dict:
    from enrollment.models import State

    decided_states = {State.QUALIFIED.value, State.NEEDS_REVIEW.value}
    deadline = ready_at + cfg.verify_timeout if cfg.verify_timeout > 0 else math.inf
    first_at = last_report = None
    decided, states = 0, {}
    while True:
        now = time.monotonic()
        states = db.states(after_id)
        decided = sum(n for s, n in states.items() if s in decided_states)
        if decided and first_at is None:
            first_at = now
        if decided >= total or now >= deadline:
            break
        if not worker.alive():
            raise RuntimeError(f"the worker exited:\n{worker.log_tail()}")
        if last_report is None or now - last_report >= 15:
            last_report = now
            rate = decided / (now - ready_at) if now > ready_at else 0
            print(
                f"  verify: {decided}/{total} decided after {now - ready_at:.0f} s ({rate:.1f}/s)", flush=True
            )
        time.sleep(0.25)
    return {
        "decided": decided,
        "complete": decided >= total,
        "states": states,
        "elapsed_s": now - ready_at,
        "first_decision_s": (first_at - ready_at) if first_at else None,
    }


def waves(db: Db, after_id: int, lookup_workers: int) -> dict:
    """Look-ups and latency-bound waves of every decided application, from its recorded look-ups."""
    from enrollment.models import State

    sql = (
        f"SELECT a.id, a.verify_attempts, "  # noqa: S608
        f"count(l.id) FILTER (WHERE l.operation <> 'sole_residence_proof'), "
        f"count(l.id) FILTER (WHERE l.operation = 'sole_residence_proof'), avg(l.duration_ms) "
        f"FROM {db.app_table} a JOIN {db.lookup_table} l ON l.{db.lookup_case} = a.{db.app_case} "
        f"WHERE a.id > %s AND a.state IN (%s, %s) GROUP BY a.id, a.verify_attempts"
    )
    rows = db.rows(sql, [after_id, State.QUALIFIED.value, State.NEEDS_REVIEW.value])
    total_waves = sum(
        math.ceil(first / lookup_workers) + (1 if second else 0) for _, _, first, second, _ in rows
    )
    lookups = sum(first + second for _, _, first, second, _ in rows)
    durations = [float(d) for *_, d in rows if d is not None]
    histogram: dict[str, int] = {}
    for _, _, first, second, _ in rows:
        key = f"{first}+{second}"
        histogram[key] = histogram.get(key, 0) + 1
    return {
        "applications": len(rows),
        "waves": total_waves,
        "waves_per_application": round(total_waves / len(rows), 3) if rows else None,
        "lookups_per_application": round(lookups / len(rows), 2) if rows else None,
        "lookups_first+second_round": dict(sorted(histogram.items())),
        "mean_lookup_ms": round(sum(durations) / len(durations), 1) if durations else None,
        "retried_applications": sum(1 for _, attempts, *_ in rows if attempts > 1),
    }


def decisions_as_expected(db: Db, after_id: int, families: list[dict]) -> dict:
    expect = {f["guardian_id"]: f for f in families}
    rows = db.rows(
        f"SELECT {db.app_guardian}, state, category FROM {db.app_table} WHERE id > %s",  # noqa: S608
        [after_id],
    )
    decided = [(g, s, c) for g, s, c in rows if s in ("qualified", "needs_review")]
    wrong = [
        (g, s, c)
        for g, s, c in decided
        if s != expect[g]["expect"] or (s == "qualified" and c != expect[g]["tier"])
    ]
    return {"checked": len(decided), "unexpected": len(wrong), "examples": wrong[:5]}


def part_b(cfg: Config, env: dict, families_file: Path, queue: str, log_dir: Path, servers: list) -> dict:
    families = json.loads(families_file.read_text(encoding="utf-8"))
    n = min(cfg.n, len(families))
    db = Db(cfg)
    worker = None
    try:
        after_id, lookups_before = db.max_application_id(), db.max_lookup_id()
        print(f"enrollment (b): submitting {n} applications (latency 0) …", flush=True)
        creation = create_applications(cfg, with_queue(env, queue), families_file, n, log_dir)
        total = sum(db.states(after_id).values())
        lookups_created = db.max_lookup_id()
        creation["lookups"] = db.lookup_outcomes(lookups_before, lookups_created)
        limited = " (BENCH_ENROLLMENT_CREATE_TIMEOUT reached)" if creation["stopped_by_time_limit"] else ""
        print(
            f"  created {creation['created']} of {n}{limited} in {creation['seconds']} s "
            f"({creation['per_s']}/s, "
            f"{creation['processes']} processes × {creation['threads_per_process']} threads), "
            f"{creation['failed']} failed {creation['errors'][:1]}; look-ups {creation['lookups']}",
            flush=True,
        )
        stack.run_json(
            stack.python("-m", "bench.enrollment_support.ctl", "latency", str(cfg.latency_ms)),
            env,
            timeout=120,
            what="setting the registries' latency",
        )
        print(
            f"enrollment (b): {total} queued; {cfg.latency_ms} ms per look-up; worker prefork concurrency "
            f"{cfg.worker_concurrency}, ENROLLMENT_LOOKUP_WORKERS {cfg.lookup_workers} …",
            flush=True,
        )
        worker = stack.celery_worker(
            queue=queue, concurrency=cfg.worker_concurrency, env=with_queue(env, queue), log_dir=log_dir
        )
        spawned = time.monotonic()
        worker.start()
        ready_at = stack.wait_log(worker, b" ready.", timeout=120)
        cpu0 = {s.name: s.cpu() for s in [worker, *servers]}
        busy0 = machine_busy()
        outcome = wait_decided(cfg, db, after_id, total, ready_at, worker)
        busy = machine_busy(busy0)
        cpu = {s.name: round(s.cpu() - cpu0[s.name], 1) for s in [worker, *servers]}
    finally:
        if worker is not None:
            worker.stop(timeout=30)
    try:
        w = waves(db, after_id, cfg.lookup_workers)
        w["lookup_outcomes"] = db.lookup_outcomes(lookups_created)
        expected = decisions_as_expected(db, after_id, families)
    finally:
        db.close()

    # the applications decided within the measured time (a stopped worker finishes the ones it holds, so
    # the recorded look-ups may cover a few more: their mean waves per application is what counts)
    elapsed, decided = outcome["elapsed_s"], outcome["decided"]
    mean_waves = w["waves"] / w["applications"] if w["applications"] else 0
    ideal = decided * mean_waves * cfg.latency_ms / 1000 / cfg.worker_concurrency
    result = {
        "n": total,
        "creation": creation,
        "latency_ms": cfg.latency_ms,
        "worker_concurrency": cfg.worker_concurrency,
        "worker_pool": "prefork",
        "lookup_workers": cfg.lookup_workers,
        "worker_boot_s": round(ready_at - spawned, 1),
        "complete": outcome["complete"],
        "decided": decided,
        "states": outcome["states"],
        "verify_s": round(elapsed, 1),
        "first_decision_s": round(outcome["first_decision_s"], 2) if outcome["first_decision_s"] else None,
        "decided_per_s": round(decided / elapsed, 2) if elapsed else None,
        **w,
        "ideal_s": round(ideal, 1),
        "ideal_definition": (
            f"applications decided x mean waves per application x {cfg.latency_ms} ms / "
            f"concurrency {cfg.worker_concurrency}; "
            f"waves = ceil(first-round look-ups / ENROLLMENT_LOOKUP_WORKERS={cfg.lookup_workers}) "
            "+ 1 if the sole-residence proof (second round) was fetched"
        ),
        "ratio_to_ideal": round(elapsed / ideal, 2) if ideal else None,
        "cpu_s": cpu,
        "cpu_ms_per_application": {k: round(1000 * v / decided, 1) for k, v in cpu.items()}
        if decided
        else None,
        "machine_busy_share": busy,
        "decisions": expected,
    }
    if not outcome["complete"] and decided:
        result["projected_verify_s"] = round(elapsed * total / decided, 1)
        result["projected_ideal_s"] = round(ideal * total / decided, 1)
    _print_b(result)
    return result


def _print_b(r: dict) -> None:
    done = "all" if r["complete"] else f"PARTIAL (BENCH_ENROLLMENT_VERIFY_TIMEOUT): {r['decided']} of"
    print(
        f"enrollment (b): {done} {r['n']} applications decided in {r['verify_s']} s from the worker's ready "
        f"(boot {r['worker_boot_s']} s; first decision after {r['first_decision_s']} s); "
        f"{r['decided_per_s']}/s; states {r['states']}",
        flush=True,
    )
    print(
        f"  ideal {r['ideal_s']} s = {r['decided']} applications x {r['waves_per_application']} waves x "
        f"{r['latency_ms']} ms / {r['worker_concurrency']} "
        f"({r['lookups_per_application']} look-ups per application, "
        f"look-ups per round {r['lookups_first+second_round']}); measured / ideal = {r['ratio_to_ideal']}",
        flush=True,
    )
    if "projected_verify_s" in r:
        print(
            f"  projected for all {r['n']}: {r['projected_verify_s']} s (ideal {r['projected_ideal_s']} s)",
            flush=True,
        )
    print(
        f"  look-ups {r['lookup_outcomes']}, mean {r['mean_lookup_ms']} ms as the worker saw them; "
        f"{r['retried_applications']} applications needed a retry round; CPU s {r['cpu_s']} "
        f"(ms per application {r['cpu_ms_per_application']}); machine busy {_pct(r['machine_busy_share'])}; "
        f"decisions: {r['decisions']['unexpected']} of {r['decisions']['checked']} unlike the families' "
        "expected outcome",
        flush=True,
    )


def machine_busy(since: tuple[int, int] | None = None):
    """(busy, total) jiffies of the whole machine; with ``since``, the busy share since then."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    now = (sum(fields) - idle, sum(fields))
    if since is None:
        return now
    total = now[1] - since[1]
    return round((now[0] - since[0]) / total, 3) if total else None


# --- the run -------------------------------------------------------------------------------------------


def run() -> dict:
    """The benchmark; a SIGTERM ends it through its clean-up (servers stopped, database dropped)."""
    return stack.run_with_cleanup("enrollment", _run)


def _run() -> dict:
    cfg = Config.from_env()
    reason = unreachable(cfg)
    if reason:
        print(f"enrollment: skipped — {reason}", flush=True)
        return {"skipped": reason}

    run_id = secrets.token_hex(4)
    parked, verify_queue = f"bench-enrollment-{run_id}-parked", f"bench-enrollment-{run_id}-verify"
    portal_port, sandbox_port = stack.free_port(), stack.free_port()
    budget = connection_budget(cfg)
    result: dict = {
        "config": {k: v for k, v in asdict(cfg).items() if k != "cache_url"},
        "postgres_connections": budget,
        "load_average_at_start": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    print(
        f"enrollment: database {cfg.database_url()}, broker {cfg.broker_url}; portal gunicorn gthread "
        f"{cfg.portal_workers} workers x {cfg.portal_threads} threads, sandbox gunicorn "
        f"{cfg.sandbox_workers} x "
        f"{cfg.sandbox_threads}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; PostgreSQL "
        f"connections {budget['in_use_before']} in use of {budget['max_connections']}, this run holds up to "
        f"{budget['bench_peak']}",
        flush=True,
    )
    if budget["free_after_peak"] < RESERVED_CONNECTIONS:
        reason = (
            f"PostgreSQL has {budget['max_connections'] - budget['in_use_before']} free connections and this "
            f"run needs up to {budget['bench_peak']} (+{RESERVED_CONNECTIONS} left for others): run it when "
            "the server is quieter, or lower BENCH_ENROLLMENT_WORKER_CONCURRENCY / _SANDBOX_THREADS"
        )
        print(f"enrollment: skipped — {reason}", flush=True)
        return {"skipped": reason, **result}
    started = time.perf_counter()
    services: list[stack.Service] = []
    with tempfile.TemporaryDirectory(prefix="bench-enrollment-") as tmp:
        work = Path(tmp)
        env = child_env(cfg, run_id=run_id, portal_port=portal_port, sandbox_port=sandbox_port, queue=parked)
        try:
            create_database(cfg)
            n_verify = cfg.n if "b" in cfg.parts else 0
            n_submit = cfg.submit_families if "a" in cfg.parts else 1
            print(f"enrollment: preparing {n_submit + n_verify} families …", flush=True)
            result["prepare"] = stack.run_json(
                stack.python(
                    "-m",
                    "bench.enrollment_support.prepare",
                    "--submit-families",
                    str(n_submit),
                    "--verify-families",
                    str(n_verify),
                    "--out",
                    str(work),
                ),
                env,
                timeout=1800,
                what="preparing the database",
            )
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
            if "a" in cfg.parts:
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
                result["a"] = part_a(cfg, env, work / "submit.json", portal_port, [portal, sandbox])
                portal.stop()
                result["a"]["portal_log_tail"] = _errors_in(portal)
                result["a"]["profile"] = profile_submit(
                    cfg,
                    env,
                    work / "submit.json",
                    result["a"]["submit"]["plan_entries_used"],
                    work,
                    [sandbox],
                )
            if "b" in cfg.parts:
                result["b"] = part_b(cfg, env, work / "verify.json", verify_queue, work, [sandbox])
            result["sandbox_log_tail"] = _errors_in(sandbox)
        finally:
            for service in reversed(services):
                service.stop()
            cleanup_redis(cfg, [parked, verify_queue], f"bench-enrollment-{run_id}")
            if not cfg.keep_db:
                drop_database(cfg)
    result["total_s"] = round(time.perf_counter() - started, 1)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / "enrollment.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"enrollment: done in {result['total_s']} s; figures in {out}", flush=True)
    return result


def _errors_in(service: stack.Service) -> str:
    """The end of a server's log when it logged a traceback or an error (else empty)."""
    tail = service.log_tail(4000)
    return tail if ("Traceback" in tail or "ERROR" in tail) else ""
