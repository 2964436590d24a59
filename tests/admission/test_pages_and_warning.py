"""Bureau pages (rounds, dry run / allocation with progress), the early warning (学位预警) from the
registries' statistics with its Excel export, and the zone-list import from Excel."""

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from admission import excel, forecast
from admission.models import AllocationRun, Placement
from exchange.models import Lookup
from portal.orgs.models import Community
from tests.admission import factories as F
from tests.factories import UserFactory, make_id_number
from tests.i18n import zh, zh_format

TODAY = dt.date(2027, 5, 10)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    from portal.cases import services as case_services

    monkeypatch.setattr(case_services, "local_today", lambda: TODAY)


@pytest.fixture
def bureau(town):
    return UserFactory(bureau=True, district=town["district"])


def test_the_bureau_runs_a_dry_run_and_an_allocation_and_polls_the_progress(client, town, bureau):
    for _ in range(4):
        F.qualified(town["district"], town["north"])
    client.force_login(bureau)
    response = client.post(reverse("admission:rounds"), {"year": 2027, "stage": "primary"})
    assert response.status_code == 302
    round_url = response["Location"]
    assert client.get(round_url).status_code == 200
    pk = int(round_url.rstrip("/").split("/")[-1])
    response = client.post(reverse("admission:start_run", args=[pk]), {"dry_run": "on"}, follow=False)
    dry = AllocationRun.objects.get()  # queued on commit; the test transaction never commits, so run it here
    from admission.tasks import execute_run

    execute_run(dry.pk)
    progress = client.get(reverse("admission:run_progress", args=[dry.pk])).json()
    assert progress["finished"] and progress["status"] == "done" and progress["counts"]["redistributed"] == 2
    page = client.get(reverse("admission:run", args=[dry.pk])).content.decode()
    assert "N01" in page and not Placement.objects.exists()

    with_seed = client.post(reverse("admission:publish_seed", args=[pk]), {"seed": "bad seed!"})
    assert with_seed.status_code == 400
    client.post(reverse("admission:publish_seed", args=[pk]), {"seed": "county-lottery-2027"})
    client.post(reverse("admission:start_run", args=[pk]), {})
    real = AllocationRun.objects.get(dry_run=False)
    execute_run(real.pk)
    real.refresh_from_db()
    assert real.seed == "county-lottery-2027" and real.status == "done" and Placement.objects.count() == 4
    dry.refresh_from_db()
    assert dry.seed.startswith("dry-run-")  # no seed was published then; the dry run published none

    outsider = UserFactory(bureau=True, district=F.DistrictFactory(code="330402", name="南湖区"))
    client.force_login(outsider)
    assert client.get(reverse("admission:run_progress", args=[real.pk])).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("admission:rounds")).status_code == 403


def _registry(tmp_path, town):
    d = town["district"]
    c1 = Community.objects.create(district=d, code="330411501", name="北区社区", lat=30.0, lng=120.0)
    c2 = Community.objects.create(district=d, code="330411502", name="中区社区", lat=30.03, lng=120.0)
    town["north"].zone.set([c1])
    town["middle"].zone.set([c2])
    persons = []
    for i, (born, community) in enumerate(
        [("2020-09-01", c1), ("2021-03-15", c1), ("2021-08-31", c1), ("2021-09-01", c1), ("2021-05-05", c2)]
    ):
        persons.append(
            {
                "id_number": make_id_number(dt.date.fromisoformat(born), 101 + 2 * i),
                "name": f"儿童{i}",
                "gender": "M",
                "birth_date": born,
                "phone": None,
                "hukou": {
                    "household_no": f"HH{i}",
                    "address": "地址",
                    "community_code": community.code,
                    "move_in_date": "2021-10-01",
                    "relation": "child",
                },
            }
        )
    owner = make_id_number(dt.date(1985, 1, 1), 901)
    persons.append(
        {
            "id_number": owner,
            "name": "业主",
            "gender": "M",
            "birth_date": "1985-01-01",
            "phone": None,
            "hukou": {
                "household_no": "HHO",
                "address": "地址",
                "community_code": c1.code,
                "move_in_date": "2010-01-01",
                "relation": "head",
            },
        }
    )
    properties = [
        {
            "cert_no": f"浙(2026)嘉兴市不动产权第{1000 + i:07d}号",
            "owner_ids": [owner],
            "address": "新房",
            "community_code": c1.code,
            "area_m2": 90,
            "registered_date": "2026-12-01" if i < 10 else "2025-01-01",
            "use": "residential",
        }
        for i in range(12)
    ]
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps({"persons": persons, "properties": properties}, ensure_ascii=False), encoding="utf-8"
    )
    call_command("load_registry", str(path), verbosity=0)


def test_early_warning_projects_demand_from_the_registries_against_capacity(town, tmp_path, bureau, client):
    _registry(tmp_path, town)
    rows = {
        f.code: f for f in forecast.forecast(district=town["district"], stage="primary", requester=bureau)
    }
    north_2027 = rows["N01"].years[0]
    # born 2020-09-01 … 2021-08-31 (6 by 31 August 2027): 3 in the zone; 10 homes bought in the last
    # 12 months × 0.15 = 1.5 → 2; 5 against 2 seats
    assert (north_2027.year, north_2027.cohort, north_2027.demand, north_2027.seats) == (2027, 3, 5, 2)
    assert north_2027.level == "red"
    assert rows["N01"].years[1].cohort == 1  # the child born 2021-09-01 enters in 2028
    assert (rows["M01"].years[0].demand, rows["M01"].years[0].level) == (1, "yellow")  # 1 / 1 seat
    assert rows["S01"].years[0].level == "green"
    assert Lookup.objects.filter(operation="cohort_counts", subject_masked__contains="统计").count() == 3

    client.force_login(bureau)
    page = client.get(reverse("admission:early_warning"), {"stage": "primary"})
    assert page.status_code == 200 and "lvl-red" in page.content.decode()
    shown = re.sub(r"<[^>]+>", " ", page.content.decode())
    assert "· 红" in shown and "· 绿" in shown  # the level in Chinese (issue 13 item 4)
    assert not re.search(r"·\s*(green|yellow|red)\b", shown)
    export = client.get(reverse("admission:early_warning"), {"stage": "primary", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert ["N01", "N01小学", 1, 2027, 3, 1.5, 5, 2, 2.5, "红"] in values


def test_early_warning_says_so_when_the_registry_is_down(town, tmp_path, bureau, client, settings):
    settings.EXCHANGE_MAX_ATTEMPTS = 1
    _registry(tmp_path, town)
    from sandbox.models import SourceFault

    SourceFault.objects.create(source="hukou", error_rate=1.0)
    client.force_login(bureau)
    response = client.get(reverse("admission:early_warning"))
    assert response.status_code == 503
    assert (
        zh("The registries' statistics could not be fetched now; try again later.")
        in response.content.decode()
    )


def _xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_zone_lists_are_imported_from_excel(town, bureau, client):
    Community.objects.create(district=town["district"], code="C-OLD", name="旧社区")
    town["north"].zone.set(Community.objects.filter(code="C-OLD"))
    data = _xlsx(
        [
            ["学校代码", "社区代码", "社区名称", "纬度", "经度"],
            ["N01", "C-NEW", "新社区", 30.01, 120.01],
            ["N01", "C-OLD", None, None, None],
            ["M01", "C-NEW", None, None, None],
        ]
    )
    summary = excel.import_zones(data, district=town["district"])
    assert (summary.schools, summary.communities, summary.created) == (2, 3, 1)
    assert set(town["north"].zone.values_list("code", flat=True)) == {"C-NEW", "C-OLD"}
    assert Community.objects.get(code="C-NEW").lat == 30.01

    bad = _xlsx([["school_code", "community_code"], ["N01", "C-OLD"], ["XX9", "C-OLD"]])
    with pytest.raises(excel.ZoneFileError) as refused:
        excel.import_zones(bad, district=town["district"])
    assert str(refused.value) == zh_format(
        "Row %(row)d: no school %(code)s in your district.", row=3, code="XX9"
    )
    assert set(town["north"].zone.values_list("code", flat=True)) == {"C-NEW", "C-OLD"}  # nothing half-done

    client.force_login(bureau)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("admission:zones_import"), {"file": SimpleUploadedFile("z.xlsx", b"not excel")}
    )
    assert response.status_code == 400 and "Excel" in response.content.decode()
    assert client.get(reverse("admission:zones_import"), {"template": 1}).status_code == 200
