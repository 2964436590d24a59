"""Student-status test world: one district (秀洲区) with two primary schools and a junior school, one
school in another county, a guardian whose child is on the 户口簿 in the sandbox registry, clerks and
bureau staff."""

import datetime as dt
import itertools
import json

import pytest
from django.core.management import call_command

from portal.cases import services as case_services
from portal.core.idcodes import id_check_char
from portal.orgs.loading import load_schools
from portal.orgs.models import District, School
from studentstatus.services import record_enrol
from tests.factories import UserFactory

TODAY = dt.date(2027, 3, 10)  # school year 2026: grade 1 entered in 2026
_seq = itertools.count(21)


def new_id(birth: str, *, male: bool, area: str = "330411") -> str:
    n = next(_seq) * 2 + (1 if male else 0)
    first17 = f"{area}{birth.replace('-', '')}{n % 1000:03d}"
    return first17 + id_check_char(first17)


@pytest.fixture(autouse=True)
def _today(monkeypatch, settings):
    settings.EXCHANGE_RETRY_BACKOFF = 0.0
    monkeypatch.setattr(case_services, "local_today", lambda: TODAY)
    monkeypatch.setattr(case_services.common, "local_today", lambda: TODAY)  # the kernel's own clock


@pytest.fixture
def world(db):
    load_schools(
        {
            "district": {"code": "330411", "name": "秀洲区"},
            "communities": [{"code": "330411101", "name": "新城社区", "lat": 30.77, "lng": 120.70}],
            "schools": [
                {"code": "P1", "name": "实验小学", "stage": "primary", "zone": ["330411101"]},
                {"code": "P2", "name": "王店小学", "stage": "primary", "zone": ["330411101"]},
                {"code": "J1", "name": "第一中学", "stage": "junior", "zone": ["330411101"]},
            ],
        }
    )
    load_schools(
        {
            "district": {"code": "330402", "name": "南湖区"},
            "communities": [{"code": "330402101", "name": "南湖社区", "lat": 30.75, "lng": 120.76}],
            "schools": [{"code": "N1", "name": "南湖小学", "stage": "primary", "zone": ["330402101"]}],
        }
    )
    return District.objects.get(code="330411")


class Family:
    """A guardian and a child on one 户口簿 in the sandbox registry; the child at school P1 in grade 3."""

    def __init__(self, tmp_path, *, grade=3, school="P1", stage="primary"):
        self.parent_id = new_id("1988-03-12", male=True)
        self.child_id = new_id("2018-05-01", male=True)
        self.child_name = "王小𠀀"
        self.guardian = UserFactory(real_name="王𠈌", id_number=self.parent_id)
        self.tmp_path = tmp_path
        self.load()
        self.record, _ = record_enrol(
            id_number=self.child_id,
            name=self.child_name,
            school=School.objects.get(code=school),
            stage=stage,
            entry_year=2026 - (grade - (7 if stage == "junior" else 1)),
            grade=grade,
            source_case=None,
        )

    def load(self, **child):
        household = {
            "household_no": f"H{self.parent_id[-6:]}",
            "address": "秀洲区新城路1号",
            "community_code": "330411101",
            "move_in_date": "2015-01-01",
        }
        persons = [
            {
                "id_number": self.parent_id,
                "name": "王𠈌",
                "gender": "M",
                "birth_date": "1988-03-12",
                "phone": None,
                "hukou": {**household, "relation": "head"},
            },
            {
                "id_number": self.child_id,
                "name": child.get("name", self.child_name),
                "gender": child.get("gender", "M"),
                "birth_date": child.get("birth_date", "2018-05-01"),
                "phone": None,
                "hukou": {**household, "relation": "child"},
            },
        ]
        path = self.tmp_path / f"fam-{self.child_id}.json"
        path.write_text(json.dumps({"persons": persons}, ensure_ascii=False), encoding="utf-8")
        call_command("load_registry", str(path), verbosity=0)


@pytest.fixture
def family(world, tmp_path):
    return Family(tmp_path)


@pytest.fixture
def staff(world):
    schools = {s.code: s for s in School.objects.all()}
    return {
        "P1": UserFactory(clerk=True, school=schools["P1"]),
        "P2": UserFactory(clerk=True, school=schools["P2"]),
        "J1": UserFactory(clerk=True, school=schools["J1"]),
        "bureau": UserFactory(bureau=True, district=world),
        "other_bureau": UserFactory(bureau=True, district=District.objects.get(code="330402")),
    }
