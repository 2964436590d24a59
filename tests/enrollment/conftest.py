"""Enrollment test world: one district with zoned schools, default rules for 2027, and a builder that
writes families into the sandbox registries in the contract's fixture format (load_registry)."""

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from enrollment.selectors import ensure_default_rules
from portal.cases import services as case_services
from portal.core.idcodes import id_check_char
from portal.orgs.loading import load_schools
from portal.orgs.models import District
from tests.factories import UserFactory

TODAY = dt.date(2027, 5, 10)
YEAR = 2027
ZONE_P1, ZONE_P2, UNZONED = "330411101", "330411102", "330411199"
ELSEWHERE = "411523001"  # a community in another province
DEMO = Path(__file__).resolve().parents[2] / "portal" / "core" / "demo"
# the demo family of `make run` (portal/core/demo/registry.json)
DEMO_FATHER, DEMO_MOTHER, DEMO_CHILD = "330411198803120318", "330411199007080428", "330411202103150531"
DEMO_PHONE = "13800000001"

_seq = itertools.count(11)


def new_id(birth: str, *, male: bool, area: str = "330411") -> str:
    n = next(_seq) * 2 + (1 if male else 0)
    first17 = f"{area}{birth.replace('-', '')}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def answers(fam, **overrides) -> dict:
    """What ``fam``'s guardian answers in the wizard for the child: both parents, an owned home."""
    return {
        "year": YEAR,
        "stage": "primary",
        "child_id_number": fam.child,
        "other_guardian_id_number": fam.mother,
        "single_parent": False,
        "residence": "owned",
        "consent": True,
    } | overrides


def submit(fam, capture, *, verify: bool = True, **overrides):
    """``fam``'s guardian applies with ``answers(fam, **overrides)``; the verification queued after commit
    runs unless ``verify`` is False (``capture`` is django_capture_on_commit_callbacks)."""
    from enrollment.services import application_submit

    with capture(execute=verify):
        application = application_submit(guardian=fam.guardian, **answers(fam, **overrides))
    application.refresh_from_db()
    return application


@pytest.fixture(autouse=True)
def _enrollment_settings(settings, monkeypatch):
    settings.ENROLLMENT_LOOKUP_WORKERS = 1  # the in-process sandbox shares the test's connection
    settings.EXCHANGE_RETRY_BACKOFF = 0.0
    monkeypatch.setattr(case_services, "local_today", lambda: TODAY)


@pytest.fixture
def world(db):
    load_schools(
        {
            "district": {"code": "330411", "name": "秀洲区"},
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
                {"code": "K1", "name": "新城幼儿园", "stage": "kindergarten", "zone": [ZONE_P1, ZONE_P2]},
                {"code": "J1", "name": "第一中学", "stage": "junior", "zone": [ZONE_P1, ZONE_P2]},
            ],
        }
    )
    district = District.objects.get(code="330411")
    for stage in ("kindergarten", "primary", "junior"):
        ensure_default_rules(district=district, year=YEAR, stage=stage)
    return district


class Family:
    """A family in the registries. Defaults: married parents on one 户口簿 in zone P1, owning a 96 m²
    home there, one child born 2021-03-15. Change attributes, then ``load()``."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.father = new_id("1988-03-12", male=True)
        self.mother = new_id("1990-07-08", male=False)
        self.children = [(new_id("2021-03-15", male=True), "王小𬌗", "2021-03-15")]
        self.household = f"H-{self.father[-6:]}"
        self.mother_household = None  # a separate 户口簿 for the mother when set
        self.community = ZONE_P1
        self.child_community = None  # defaults to the household's
        self.move_in = "2016-05-20"
        self.homes = [{"community": ZONE_P1, "area": 96.5, "owners": "both", "registered": "2016-04-28"}]
        self.marriage = "married"  # married | divorced | None
        self.birth_names_both = True
        self.permit = None  # {"community", "issued", "valid_until"}
        self.lease = None  # {"community", "start", "end"}
        self.insurance_months = 0
        self.student_records = []
        self.child_in_household = True
        self.extra_members = 0

    def add_twin(self):
        first, name, born = self.children[0]
        self.children.append((new_id(born, male=False), name[:-1] + "妍", born))

    def payload(self) -> dict:
        child_comm = self.child_community or self.community
        address = f"浙江省嘉兴市秀洲区{self.community}号"
        persons = [
            {
                "id_number": self.father,
                "name": "王𠈌",
                "gender": "M",
                "birth_date": "1988-03-12",
                "phone": None,
                "hukou": {
                    "household_no": self.household,
                    "address": address,
                    "community_code": self.community,
                    "move_in_date": self.move_in,
                    "relation": "head",
                },
            },
            {
                "id_number": self.mother,
                "name": "李䶮",
                "gender": "F",
                "birth_date": "1990-07-08",
                "phone": None,
                "hukou": {
                    "household_no": self.mother_household or self.household,
                    "address": address,
                    "community_code": self.community,
                    "move_in_date": self.move_in,
                    "relation": "head" if self.mother_household else "spouse",
                },
            },
        ]
        for child_id, name, born in self.children:
            persons.append(
                {
                    "id_number": child_id,
                    "name": name,
                    "gender": "M" if int(child_id[16]) % 2 else "F",
                    "birth_date": born,
                    "phone": None,
                    "hukou": {
                        "household_no": self.household if self.child_in_household else f"G-{child_id[-6:]}",
                        "address": address,
                        "community_code": child_comm,
                        "move_in_date": self.move_in,
                        "relation": "child" if self.child_in_household else "grandchild",
                    },
                }
            )
        for i in range(self.extra_members):
            member = new_id("1960-01-01", male=bool(i % 2))
            persons.append(
                {
                    "id_number": member,
                    "name": f"祖辈{i}",
                    "gender": "M" if i % 2 else "F",
                    "birth_date": "1960-01-01",
                    "phone": None,
                    "hukou": {
                        "household_no": self.household,
                        "address": address,
                        "community_code": self.community,
                        "move_in_date": "2016-05-20",
                        "relation": "parent",
                    },
                }
            )
        properties = []
        for i, home in enumerate(self.homes):
            owners = [self.father, self.mother] if home["owners"] == "both" else [self.father]
            properties.append(
                {
                    "cert_no": f"浙(2016)嘉兴市不动产权第{int(self.father[-7:-1]) * 10 + i:07d}号",
                    "owner_ids": owners,
                    "address": f"{home['community']}小区",
                    "community_code": home["community"],
                    "area_m2": home["area"],
                    "registered_date": home["registered"],
                    "use": "residential",
                }
            )
        births = [
            {
                "cert_no": f"Q{child_id[-8:]}",
                "child_id": child_id,
                "mother_id": self.mother,
                "father_id": self.father if self.birth_names_both else None,
            }
            for child_id, _, _ in self.children
        ]
        data = {
            "persons": persons,
            "properties": properties,
            "births": births,
            "student_records": self.student_records,
        }
        if self.marriage:
            data["marriages"] = [
                {
                    "cert_no": f"J{self.father[-8:]}",
                    "party_ids": [self.father, self.mother],
                    "date": "2015-10-01",
                    "status": self.marriage,
                }
            ]
        if self.permit:
            data["residence_permits"] = [{"id_number": self.father, "address": "租住地址", **self.permit}]
        if self.lease:
            data["leases"] = [
                {
                    "lease_no": f"L{self.father[-8:]}",
                    "tenant_ids": [self.father],
                    "address": "租住地址",
                    **self.lease,
                }
            ]
        if self.insurance_months:
            data["social_insurance"] = [
                {
                    "id_number": self.father,
                    "city": "嘉兴市",
                    "first_month": "2024-01",
                    "months_paid": self.insurance_months,
                }
            ]
        return data

    def load(self):
        path = self.tmp_path / f"family-{self.father}.json"
        path.write_text(json.dumps(self.payload(), ensure_ascii=False), encoding="utf-8")
        call_command("load_registry", str(path), verbosity=0)
        self.guardian = UserFactory(id_number=self.father, real_name="王𠈌", phone=None)
        return self

    @property
    def child(self) -> str:
        return self.children[0][0]


@pytest.fixture
def family(world, tmp_path):
    return Family(tmp_path)


@pytest.fixture
def make_family(world, tmp_path):
    return lambda: Family(tmp_path)


@pytest.fixture
def demo_world(db):
    """The demo district, its 2027 primary rules and the demo registry population (as `make run` has)."""
    load_schools(json.loads((DEMO / "district.json").read_text(encoding="utf-8")))
    district = District.objects.get(code="330411")
    ensure_default_rules(district=district, year=YEAR, stage="primary")
    call_command("load_registry", str(DEMO / "registry.json"), verbosity=0)
    return district
