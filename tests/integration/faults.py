"""Helpers for the enrollment fault test and the enrollment benchmarks (no pytest here: bench imports it).

- ``population(n)``: ``n`` distinct, varied families as ONE registry fixture (contracts/registry-fixture.md)
  plus what each family applies with and what the decision should be when every registry answers.
- ``build_world()``: the district, zoned schools and 2027 primary rules the families apply under.
- ``create_guardians(families)``: the applying parents' real-name accounts, in bulk.
- ``PrivateRedis``: a throw-away ``redis-server`` on a free port that a test may kill and restart.
- ``use_broker(url)``: point this process's Celery app at another broker (and back).
- ``process_tree`` / ``kill_tree``: a worker and its prefork children, by process id.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

YEAR = 2027
STAGE = "primary"
DISTRICT = "330411"
ZONE_P1, ZONE_P2, UNZONED = "330411101", "330411102", "330411199"
ELSEWHERE = "411523001"  # a migrant family's 户籍 community in another province
CUTOFF = date(YEAR, 8, 31)

WORLD = {
    "district": {"code": DISTRICT, "name": "秀洲区"},
    "communities": [
        {"code": ZONE_P1, "name": "新城社区", "lat": 30.770, "lng": 120.700},
        {"code": ZONE_P2, "name": "王店社区", "lat": 30.670, "lng": 120.690},
        {"code": UNZONED, "name": "工业园区", "lat": 30.800, "lng": 120.800},
    ],
    "schools": [
        {
            "code": "P1",
            "name": "实验小学",
            "stage": "primary",
            "lat": 30.771,
            "lng": 120.701,
            "zone": [ZONE_P1],
        },
        {
            "code": "P2",
            "name": "王店小学",
            "stage": "primary",
            "lat": 30.671,
            "lng": 120.691,
            "zone": [ZONE_P2],
        },
    ],
}

# One cycle of 20 families: what the population is made of (expected decision when every registry answers).
KINDS = (
    ["owned"] * 6  # 房户一致 in zone P1 or P2, a roomy home owned by both parents → A
    + ["small_sole"]  # 40 m² for five people (grandparents on the 户口簿), the only home → proof fetched → A
    + ["small_second"]  # the same, but a second home elsewhere: not the only one → review
    + ["migrant"] * 3  # 户籍 in another province, 居住证 + registered lease + 社保, renting → D with points
    + ["no_home"] * 2  # 户籍 in zone, no home (no-property proof) → B
    + ["two_booklets"] * 2  # mother on a 户口簿 of her own; birth record names both → A
    + ["at_cutoff"]  # born on 31 August: exactly six on the cut-off day → A
    + ["too_young"]  # born in September: five on the cut-off day → review
    + ["single_parent"]  # divorced father applies alone → A
    + ["home_no_hukou"]  # home in zone P2, 户籍 in an unzoned community → C
    + ["has_student_record"]  # already holds a primary 学籍 → review
)
EXPECT_REVIEW = {"small_second", "too_young", "has_student_record"}
TIER = {"migrant": "D", "no_home": "B", "home_no_hukou": "C"}  # the others: A

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕"
GIVEN = ("𠈌", "䶮", "𬌗", "伟", "芳", "娜", "浩宇", "子涵", "梓欣", "一诺", "思雨", "俊睿", "若妍", "沐安")


@dataclass
class Family:
    index: int
    kind: str
    father: str  # applies (real-name verified account)
    mother: str
    child: str
    child_born: date
    residence: str  # owned | rented | none
    single_parent: bool
    expect: str  # qualified | needs_review (when every registry answers)
    tier: str  # expected tier when qualified
    permit_issued: date | None = None
    insurance_months: int = 0

    def submit_kwargs(self, guardian) -> dict:
        return {
            "guardian": guardian,
            "year": YEAR,
            "stage": STAGE,
            "child_id_number": self.child,
            "other_guardian_id_number": None if self.single_parent else self.mother,
            "single_parent": self.single_parent,
            "residence": self.residence,
            "consent": True,
        }

    def request_body(self) -> dict:
        """The same answers as the API's JSON body (contracts/api-enrollment.md)."""
        return {
            "year": YEAR,
            "stage": STAGE,
            "child_id_number": self.child,
            "other_guardian_id_number": None if self.single_parent else self.mother,
            "single_parent": self.single_parent,
            "residence": self.residence,
            "sibling_reference_no": None,
            "consent": True,
        }

    def expected_points(self, today: date) -> int | None:
        """Migrant points by the default rules: full months of 居住证 + months of 社保, capped at 120."""
        if self.permit_issued is None:
            return None
        start = self.permit_issued
        months = (today.year - start.year) * 12 + today.month - start.month - (today.day < start.day)
        return min(120, max(0, months) + self.insurance_months)


class _Ids:
    """Valid GB 11643 ID numbers, distinct within one population: 500 per area code and birth date, then
    the next area code (the area part of an ID number is not checked against a list), so a population of
    any size fits — the benchmark's 15,000 families as well as the fault test's 200."""

    def __init__(self):
        self.used: dict[tuple[str, date], int] = defaultdict(int)

    def __call__(self, area: str, born: date, *, male: bool) -> str:
        from portal.core.idcodes import id_check_char

        n = self.used[(area, born)]
        self.used[(area, born)] += 1
        block, n = divmod(n, 500)
        first17 = f"{int(area) + block:06d}{born:%Y%m%d}{n * 2 + (1 if male else 0):03d}"
        return first17 + id_check_char(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", "明", "华", "欣"))


def population(n: int, *, seed: int = 2027) -> tuple[dict, list[Family]]:
    """``n`` distinct families (cycling through KINDS) as one registry fixture, and their applications."""
    rng = random.Random(seed)
    ids = _Ids()
    data: dict[str, list] = defaultdict(list)
    families: list[Family] = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        migrant = kind == "migrant"
        area = "411523" if migrant else DISTRICT
        father_born = date(1980, 1, 1) + timedelta(days=(i * 7) % 4000)
        mother_born = date(1982, 1, 1) + timedelta(days=(i * 11) % 4000)
        father = ids(area, father_born, male=True)
        mother = ids(area, mother_born, male=False)
        if kind == "at_cutoff":
            child_born = CUTOFF.replace(year=YEAR - 6)
        elif kind == "too_young":
            child_born = date(YEAR - 6, 9, 1) + timedelta(days=i % 30)
        else:  # six on the cut-off day, many of them only just
            child_born = CUTOFF.replace(year=YEAR - 6) - timedelta(days=(i * 13) % 365)
        male = bool(i % 2)
        child = ids(area, child_born, male=male)

        community = {"migrant": ELSEWHERE, "home_no_hukou": UNZONED}.get(kind, ZONE_P1 if i % 3 else ZONE_P2)
        home_community = ZONE_P2 if kind == "home_no_hukou" else community
        household, address = f"H{i:06d}", f"浙江省嘉兴市秀洲区{community}-{i}号"
        move_in = date(2012, 1, 1) + timedelta(days=(i * 17) % 3000)
        mother_own_booklet = kind in ("two_booklets", "single_parent")

        def person(
            id_number, name, gender, born, booklet, relation, *, where=community, addr=address, moved=move_in
        ):
            return {
                "id_number": id_number,
                "name": name,
                "gender": gender,
                "birth_date": born.isoformat(),
                "phone": None,
                "hukou": {
                    "household_no": booklet,
                    "address": addr,
                    "community_code": where,
                    "move_in_date": moved.isoformat(),
                    "relation": relation,
                },
            }

        data["persons"] += [
            person(father, _name(rng), "M", father_born, household, "head"),
            person(
                mother,
                _name(rng),
                "F",
                mother_born,
                f"M{i:06d}" if mother_own_booklet else household,
                "head" if mother_own_booklet else "spouse",
                addr=f"{address}之{i}" if mother_own_booklet else address,
            ),
            person(child, _name(rng), "M" if male else "F", child_born, household, "child"),
        ]
        if kind in ("small_sole", "small_second"):  # grandparents on the booklet: five people
            for k, g_male in enumerate((True, False)):
                born = date(1950, 1, 1) + timedelta(days=(i * 5 + k) % 3000)
                gid = ids(area, born, male=g_male)
                data["persons"].append(
                    person(gid, _name(rng), "M" if g_male else "F", born, household, "parent")
                )

        residence, permit_issued, insurance = "owned", None, 0
        homes: list[tuple[str, float, str]] = []  # (community, area m², use)
        if kind in ("small_sole", "small_second"):
            homes = [(home_community, 40.0, "residential")]
            if kind == "small_second":
                homes.append((UNZONED, 88.0, "residential"))
        elif kind == "migrant":
            residence = "rented"
            permit_issued = date(2022, 1, 1) + timedelta(days=(i * 19) % 1400)
            insurance = 6 + i % 48
            data["residence_permits"].append(
                {
                    "id_number": father,
                    "community_code": ZONE_P1 if i % 2 else ZONE_P2,
                    "address": f"租住地址{i}",
                    "issued_date": permit_issued.isoformat(),
                    "valid_until": (permit_issued + timedelta(days=365 * 5)).isoformat(),
                }
            )
            data["leases"].append(
                {
                    "lease_no": f"L{i:08d}",
                    "tenant_ids": [father],
                    "community_code": ZONE_P1 if i % 2 else ZONE_P2,
                    "address": f"租住地址{i}",
                    "start_date": "2024-01-01",
                    "end_date": "2030-12-31",
                }
            )
            data["social_insurance"].append(
                {"id_number": father, "city": "嘉兴市", "first_month": "2022-01", "months_paid": insurance}
            )
        elif kind == "no_home":
            residence = "none"
        else:
            homes = [(home_community, 60.0 + (i * 7) % 90, "residential")]
        for k, (where, area_m2, use) in enumerate(homes):
            registered = date(2010, 1, 1) + timedelta(days=(i * 23 + k) % 4000)
            data["properties"].append(
                {
                    "cert_no": f"浙({registered.year})嘉兴市不动产权第{i * 4 + k:07d}号",
                    "owner_ids": [father] if kind == "single_parent" else [father, mother],
                    "address": f"{where}小区{i}-{k}",
                    "community_code": where,
                    "area_m2": area_m2,
                    "registered_date": registered.isoformat(),
                    "use": use,
                }
            )
        data["births"].append(
            {"cert_no": f"Q{i:08d}", "child_id": child, "mother_id": mother, "father_id": father}
        )
        data["marriages"].append(
            {
                "cert_no": f"J{i:08d}",
                "party_ids": [father, mother],
                "date": "2014-10-01",
                "status": "divorced" if kind == "single_parent" else "married",
            }
        )
        if kind == "has_student_record":
            data["student_records"].append(
                {
                    "id_number": child,
                    "school_code": "P9",
                    "stage": "primary",
                    "grade": 1,
                    "status": "enrolled",
                    "graduation_year": YEAR + 5,
                }
            )
        families.append(
            Family(
                index=i,
                kind=kind,
                father=father,
                mother=mother,
                child=child,
                child_born=child_born,
                residence=residence,
                single_parent=kind == "single_parent",
                expect="needs_review" if kind in EXPECT_REVIEW else "qualified",
                tier=TIER.get(kind, "A"),
                permit_issued=permit_issued,
                insurance_months=insurance,
            )
        )
    return dict(data), families


def load_population(data: dict) -> dict[str, int]:
    """Load the fixture with ``manage.py load_registry`` (one file, one transaction)."""
    import json

    from django.core.management import call_command

    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as f:
        json.dump(data, f, ensure_ascii=False)
    try:
        call_command("load_registry", f.name, verbosity=0)
    finally:
        os.unlink(f.name)
    return {section: len(records) for section, records in data.items()}


def build_world():
    """The district, its zoned primary schools and the 2027 primary rules (DOMAIN.md defaults)."""
    from enrollment.selectors import ensure_default_rules
    from portal.catalog.registry import sync_catalog
    from portal.orgs.loading import load_schools
    from portal.orgs.models import District

    sync_catalog()
    load_schools(WORLD)
    district = District.objects.get(code=DISTRICT)
    ensure_default_rules(district=district, year=YEAR, stage=STAGE)
    return district


def create_guardians(families: list[Family]) -> dict[int, object]:
    """One real-name verified citizen account per applying parent (bulk; no password)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from portal.accounts.models import Role, User
    from portal.core import pii

    now, unusable = timezone.now(), make_password(None)
    users = [
        User(
            username=f"fam{f.index:06d}-{f.father[-6:]}",
            role=Role.CITIZEN,
            real_name=f"家长{f.index}",
            id_number=f.father,
            id_number_hash=pii.keyed_hash(f.father),
            real_name_verified_at=now,
            password=unusable,
        )
        for f in families
    ]
    User.objects.bulk_create(users, batch_size=1000)
    by_hash = {u.id_number_hash: u for u in User.objects.filter(username__startswith="fam")}
    return {f.index: by_hash[pii.keyed_hash(f.father)] for f in families}


# --- a private Redis ---------------------------------------------------------------------------------------


def free_port(start: int = 6390, end: int = 6490) -> int:
    """A port on 127.0.0.1 nobody listens on (tried in order from ``start``)."""
    for port in range(start, end):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{end}")


class PrivateRedis:
    """``redis-server`` as a child process on 127.0.0.1, nothing persisted: a restart loses every message."""

    def __init__(self, port: int | None = None, *, log_path: Path | None = None):
        self.binary = shutil.which("redis-server")
        self.port = port or free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def db_url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10.0) -> "PrivateRedis":
        if self.binary is None:
            raise RuntimeError("redis-server is not installed")
        cmd = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        cmd += ["--protected-mode", "yes", "--dir", tempfile.gettempdir()]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} exited with {self.proc.returncode}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not answer within {timeout}s")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def client(self, db: int = 0):
        import redis

        return redis.Redis(port=self.port, db=db, socket_connect_timeout=2, socket_timeout=5)

    def kill(self) -> None:
        """SIGKILL: no shutdown save (there is none configured anyway), every queued message is gone."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def restart(self, down_for: float = 0.0) -> None:
        self.kill()
        time.sleep(down_for)
        self.start()
        self.restarts += 1

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def use_broker(url: str):
    """Point this process's Celery app at ``url`` for the block; tasks queued meanwhile go there.

    Celery reads ``CELERY_BROKER_URL`` from the environment before its configuration, and caches a
    connection pool and a producer pool bound to the old URL: all three are switched, then restored.
    The pools live in kombu's process-wide registry, keyed by connection: closing one without clearing
    the registry would hand the same closed pool back for the old URL afterwards ("Acquire on closed
    pool" in every later test of this process), so the registry is reset as a whole."""
    from kombu import pools

    from portal.celery import app

    def reset_pools():
        pools.reset()  # closes every pooled connection and producer, and forgets the pools
        app._pool = None
        app.amqp._producer_pool = None

    saved_env = os.environ.get("CELERY_BROKER_URL")
    saved_conf = app.conf.broker_url
    reset_pools()
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    try:
        yield app
    finally:
        reset_pools()
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.broker_url = saved_conf


# --- processes -----------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc), parents first."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop(0)
        tree.append(current)
        todo += children.get(current, [])
    return tree


def kill_tree(pid: int) -> list[int]:
    """SIGKILL ``pid`` and its descendants at once (a crashed machine, not a shutdown)."""
    pids = process_tree(pid)
    for p in pids:
        with suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    return pids
