import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.orgs.models import Community, School, SchoolCapacity

pytestmark = pytest.mark.django_db

GOOD = {
    "district": {"code": "330411", "name": "秀洲区"},
    "communities": [
        {"code": "C1", "name": "新城社区", "lat": 30.77, "lng": 120.70},
        {"code": "C2", "name": "秀园社区", "lat": 30.78, "lng": 120.71},
    ],
    "schools": [
        {
            "code": "P1",
            "name": "实验小学",
            "stage": "primary",
            "lat": 30.77,
            "lng": 120.71,
            "zone": ["C1", "C2"],
            "capacity": {"2027": 180},
        },
        {"code": "K1", "name": "新城幼儿园", "stage": "kindergarten", "zone": ["C1"]},
    ],
}


def _write(tmp_path, data):
    path = tmp_path / "schools.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_the_contract_format_loads(tmp_path):
    call_command("load_schools", _write(tmp_path, GOOD))
    school = School.objects.get(code="P1")
    assert set(school.zone.values_list("code", flat=True)) == {"C1", "C2"}
    assert SchoolCapacity.objects.get(school=school, year=2027).seats == 180
    # additive: loading again with a new capacity replaces the old one, nothing is duplicated
    again = json.loads(json.dumps(GOOD))
    again["schools"][0]["capacity"] = {"2027": 200}
    call_command("load_schools", _write(tmp_path, again))
    assert SchoolCapacity.objects.get(school=school, year=2027).seats == 200
    assert School.objects.count() == 2


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["schools"][0].update(colour="red"), "schools[0] (P1): unknown key(s) colour"),
        (lambda d: d["schools"][1].update(stage="college"), "schools[1] (K1): stage must be"),
        (lambda d: d["schools"][0]["zone"].append("C9"), "unknown community C9"),
        (lambda d: d["communities"][1].update(lat=300), "communities[1] (C2): lat"),
        (lambda d: d["schools"][0].update(capacity={"2027": -1}), "capacity for 2027"),
        (lambda d: d.update(extra=[]), "file: unknown key(s) extra"),
    ],
)
def test_a_bad_record_is_named_and_nothing_is_loaded(tmp_path, mutate, message):
    data = json.loads(json.dumps(GOOD))
    mutate(data)
    with pytest.raises(CommandError) as info:
        call_command("load_schools", _write(tmp_path, data))
    assert message in str(info.value)
    assert not Community.objects.exists() and not School.objects.exists()


def test_unreadable_files_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("load_schools", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_schools", str(tmp_path / "missing.json"))
