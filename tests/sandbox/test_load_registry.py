"""manage.py load_registry: the contract format, all or nothing, bad records named."""

import copy
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from sandbox import models as m
from sandbox.registry.digest import registry_digest
from tests.sandbox.conftest import FIXTURE

pytestmark = pytest.mark.django_db
CONTRACT = json.loads(FIXTURE.read_text(encoding="utf-8"))


def load(tmp_path, data, name="fixture.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    call_command("load_registry", str(path), verbosity=0)


def test_the_contract_fixture_uses_every_section_and_loads():
    from sandbox.registry.spec import SECTIONS

    assert set(CONTRACT) == set(SECTIONS)
    call_command("load_registry", str(FIXTURE), verbosity=0)
    counts = {
        m.Person: 11, m.Property: 4, m.PropertyOwner: 5, m.ResidencePermit: 1, m.Lease: 1, m.LeaseTenant: 2,
        m.SocialInsurance: 2, m.BirthRecord: 4, m.MarriageRecord: 3, m.StudentRecord: 1, m.WelfareRecord: 2,
        m.DisabilityRecord: 1, m.DegreeRecord: 1, m.Enterprise: 1, m.TeacherExam: 1, m.MandarinTest: 1,
        m.MedicalReport: 1, m.TeacherEmployment: 1,
    }  # fmt: skip
    assert {model: model.objects.count() for model in counts} == counts
    father = m.Person.objects.get(id_number="330411198503120113")
    assert (father.name, father.household_no, father.relation, father.move_in_date) == (
        "张𠈌",
        "H330411001",
        "head",
        date(2015, 6, 1),
    )
    assert m.Person.objects.get(id_number="33041119580209015X").name == "张建国"
    assert m.Property.objects.get(cert_no="浙(2019)嘉兴市不动产权第0054321号").area_m2 == Decimal("120.00")
    birth = m.BirthRecord.objects.get(cert_no="Q330000004")
    assert (birth.mother_id, birth.father_id) == ("330402198904260268", "330402198811300371")


def test_loading_is_additive_and_a_known_key_replaces_the_record(tmp_path):
    call_command("load_registry", str(FIXTURE), verbosity=0)
    before = registry_digest()
    call_command("load_registry", str(FIXTURE), verbosity=0)  # idempotent
    assert registry_digest() == before
    change = {
        "persons": [dict(CONTRACT["persons"][0], name="张𠈌新")],
        "properties": [dict(CONTRACT["properties"][0], owner_ids=["330411198503120113"])],
    }
    load(tmp_path, change)
    assert m.Person.objects.get(id_number="330411198503120113").name == "张𠈌新"
    assert m.Person.objects.count() == 11
    owners = m.PropertyOwner.objects.filter(property_id="浙(2015)嘉兴市不动产权第0012345号")
    assert list(owners.values_list("id_number", flat=True)) == ["330411198503120113"]


def test_sections_and_fields_not_in_the_data_are_optional(tmp_path):
    load(
        tmp_path,
        {"persons": [{k: v for k, v in CONTRACT["persons"][10].items() if k not in ("phone", "hukou")}]},
    )
    assert m.Person.objects.get().household_no == ""
    load(tmp_path, {})


def _broken(section, index, **changes):
    data = copy.deepcopy(CONTRACT)
    record = data[section][index]
    for key, value in changes.items():
        if value is KeyError:
            del record[key]
        else:
            record[key] = value
    return data


@pytest.mark.parametrize(
    "data, message",
    [
        (
            _broken("persons", 1, id_number="330411198707210226"),
            "persons[1] (330411198707210226): id_number: '330411198707210226': ",
        ),
        (_broken("persons", 2, nmae="张小明"), "persons[2] (330411202005010316): unknown key 'nmae'"),
        (
            _broken("properties", 0, owner_ids=["360426199101010071"]),
            "properties[0] (浙(2015)嘉兴市不动产权第0012345号): owner_ids 360426199101010071: no such person",
        ),
        (
            _broken("births", 3, father_id="120103198806018241"),
            "births[3] (Q330000004): father_id 120103198806018241: no such person",
        ),
        (
            _broken("marriages", 0, status="engaged"),
            "marriages[0] (J330411-2014-000123): status: 'engaged' is not",
        ),
        (
            _broken("leases", 0, start_date="2023-02-30"),
            "leases[0] (ZL3304112023000158): start_date: '2023-02-30'",
        ),
        (_broken("enterprises", 0, credit_code="91350100M000100Y4Z"), "enterprises[0] (91350100M000100Y4Z)"),
        (
            _broken("social_insurance", 0, months_paid=KeyError),
            "social_insurance[0] (411523199006180330 / 嘉兴市): ",
        ),
        (
            _broken("persons", 0, hukou={**CONTRACT["persons"][0]["hukou"], "relation": "uncle"}),
            "persons[0] (330411198503120113): hukou: relation: 'uncle'",
        ),
        ({**CONTRACT, "schools": []}, "unknown section 'schools'"),
        (
            {**CONTRACT, "welfare": CONTRACT["welfare"] + CONTRACT["welfare"][:1]},
            "welfare[2] (330402198904260268 / dibao): same key as welfare[0]",
        ),
    ],
    ids=[
        "check-digit",
        "unknown-key",
        "unknown-owner",
        "unknown-parent",
        "bad-choice",
        "bad-date",
        "bad-credit-code",
        "missing-field",
        "nested",
        "unknown-section",
        "duplicate",
    ],  # fmt: skip
)
def test_a_bad_record_rejects_the_whole_file_naming_the_record(tmp_path, data, message):
    with pytest.raises(CommandError) as exc:
        load(tmp_path, data)
    assert message in str(exc.value)
    assert not any(model.objects.exists() for model in m.REGISTRY_MODELS)  # nothing half-loaded


def test_a_reference_may_point_at_a_person_already_in_the_registry(tmp_path):
    load(tmp_path, {"persons": CONTRACT["persons"]})
    load(tmp_path, {"welfare": CONTRACT["welfare"]}, name="welfare.json")
    assert m.WelfareRecord.objects.count() == 2


def test_a_phone_number_belongs_to_one_person(tmp_path):
    load(tmp_path, {"persons": CONTRACT["persons"][:1]})
    other = dict(CONTRACT["persons"][1], phone=CONTRACT["persons"][0]["phone"])
    with pytest.raises(
        CommandError, match=r"persons\[0\] \(330411198707210225\): phone 13800002001 belongs to"
    ):
        load(tmp_path, {"persons": [other]}, name="b.json")


def test_unreadable_files_are_a_clear_error(tmp_path):
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("load_registry", str(tmp_path / "bad.json"))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_registry", str(tmp_path / "missing.json"))
