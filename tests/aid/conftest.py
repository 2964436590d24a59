"""Aid test world: one district with two primary schools, a scheme with three levels and a rule per
qualification, families whose children are on the roll (学籍) and in the sandbox's registries (reached
over HTTP in-process), clerks and bureau staff."""

import datetime as dt
import itertools
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from aid.models import LevelRule, Scheme, SchemeLevel
from portal.core.idcodes import id_check_char
from portal.orgs.loading import load_schools
from portal.orgs.models import District, School
from studentstatus.services import record_enrol
from tests.factories import UserFactory

_seq = itertools.count(31)

# qualification → level code of the test scheme (三档: 1 = 一档 the highest)
RULES = {"tekun": "1", "dibao": "1", "disability": "2", "orphan": "1", "dibian": "3", "other": "3"}
AMOUNTS = {"1": 250000, "2": 150000, "3": 100000}


def new_id(birth: str, *, male: bool, area: str = "330411") -> str:
    n = next(_seq) * 2 + (1 if male else 0)
    first17 = f"{area}{birth.replace('-', '')}{n % 1000:03d}"
    return first17 + id_check_char(first17)


@pytest.fixture(autouse=True)
def _fast_exchange(settings):
    settings.EXCHANGE_RETRY_BACKOFF = 0.0
    settings.EXCHANGE_MAX_ATTEMPTS = 1


@pytest.fixture(autouse=True)
def _no_archive_packages():
    """A paid case closes and the archive would package it (a PDF/A render): tested in tests/archive."""
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


@pytest.fixture
def world(db):
    load_schools(
        {
            "district": {"code": "330411", "name": "秀洲区"},
            "communities": [{"code": "330411101", "name": "新城社区", "lat": 30.77, "lng": 120.70}],
            "schools": [
                {"code": "P1", "name": "实验小学", "stage": "primary", "zone": ["330411101"]},
                {"code": "P2", "name": "王店小学", "stage": "primary", "zone": ["330411101"]},
            ],
        }
    )
    return District.objects.get(code="330411")


@pytest.fixture
def scheme(world):
    today = timezone.localdate()
    scheme = Scheme.objects.create(
        code="KN-T",
        name="家庭经济困难学生资助",
        district=world,
        stages="primary,junior",
        year=today.year,
        opens_on=today - dt.timedelta(days=10),
        closes_on=today + dt.timedelta(days=60),
        budget_fen=10_000_000,
    )
    levels = {
        code: SchemeLevel.objects.create(scheme=scheme, level=code, name=name, amount_fen=AMOUNTS[code])
        for code, name in (("1", "一档"), ("2", "二档"), ("3", "三档"))
    }
    for qualification, code in RULES.items():
        LevelRule.objects.create(scheme=scheme, qualification=qualification, level=levels[code])
    return scheme


class Family:
    """A guardian and a child on one 户口簿 in the sandbox registry, the child enrolled at ``school``
    (学籍 on the portal's roll and in the registry); ``welfare`` / ``disability`` in the registries."""

    def __init__(self, tmp_path, *, school="P1", welfare=(), disability=None, guardian=True, name="李小𠀀"):
        self.parent_id = new_id("1986-02-03", male=False)
        self.child_id = new_id("2017-06-01", male=True)
        self.child_name = name
        self.guardian = UserFactory(real_name="李𠈌", id_number=self.parent_id) if guardian else None
        household = {
            "household_no": f"H{self.child_id[-6:]}",
            "address": "秀洲区新城路1号",
            "community_code": "330411101",
            "move_in_date": "2015-01-01",
        }
        valid = (timezone.localdate() + dt.timedelta(days=200)).isoformat()
        data = {
            "persons": [
                {"id_number": self.parent_id, "name": "李𠈌", "gender": "F", "birth_date": "1986-02-03",
                 "phone": None, "hukou": {**household, "relation": "head"}},
                {"id_number": self.child_id, "name": name, "gender": "M", "birth_date": "2017-06-01",
                 "phone": None, "hukou": {**household, "relation": "child"}},
            ],
            "student_records": [{"id_number": self.child_id, "school_code": school, "stage": "primary",
                                 "grade": 3, "status": "enrolled", "graduation_year": 2030}],
            "welfare": [
                {"id_number": self.child_id, "type": t, "valid_until": v or valid}
                for t, v in ((w, None) if isinstance(w, str) else w for w in welfare)
            ],
            "disabilities": [{"id_number": self.child_id, "level": disability}] if disability else [],
        }  # fmt: skip
        path = tmp_path / f"fam-{self.child_id}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        call_command("load_registry", str(path), verbosity=0)
        self.record, _ = record_enrol(
            id_number=self.child_id,
            name=name,
            school=School.objects.get(code=school),
            stage="primary",
            entry_year=timezone.localdate().year - 2,
            grade=3,
        )


@pytest.fixture
def make_family(world, tmp_path):
    def make(**kwargs):
        return Family(tmp_path, **kwargs)

    return make


@pytest.fixture
def staff(world):
    schools = {s.code: s for s in School.objects.all()}
    return {
        "P1": UserFactory(clerk=True, school=schools["P1"], real_name="校办员"),
        "P2": UserFactory(clerk=True, school=schools["P2"]),
        "bureau": UserFactory(bureau=True, district=world, real_name="资助中心"),
        "stranger": UserFactory(real_name="路人甲"),
    }


@pytest.fixture
def apply(scheme, django_capture_on_commit_callbacks):
    """Apply as the family's guardian and let the checks run (after commit, in the task)."""
    from aid.services import application_submit

    def _apply(family, **changes):
        fields = {"scheme_code": scheme.code, "student_id_number": family.child_id, "reason": "", **changes}
        with django_capture_on_commit_callbacks(execute=True):
            application = application_submit(guardian=family.guardian, **fields)
        application.refresh_from_db()
        return application

    return _apply


@pytest.fixture
def at_school(make_family, apply):
    """An application of a 低保 family waiting for the school (level 一档 proposed)."""

    def make(**kwargs):
        kwargs.setdefault("welfare", ["dibao"])
        family = make_family(**kwargs)
        application = apply(family)
        application.family = family
        return application

    return make


def end_notices():
    """The public notices' period is over (as if five working days had passed)."""
    from portal.notices.models import Notice

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Notice.objects.update(starts_on=yesterday - dt.timedelta(days=7), ends_on=yesterday)


@pytest.fixture
def at_bureau(at_school, staff):
    """Applications through the school's review and a public notice that is over: awaiting the bureau."""
    from aid.services import applications_school_approve, applications_sweep

    def make(n=1, **kwargs):
        apps = [at_school(**kwargs) for _ in range(n)]
        applications_school_approve(applications=apps, by=staff["P1"])
        end_notices()
        applications_sweep()
        for a in apps:
            a.refresh_from_db()
        return apps

    return make
