"""The reform figures (改革成效, /figures/): every figure against a hand count of a known set of cases, the
date range and the scope, the xlsx export, who may see it, and the demo data's page."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from exchange.models import Lookup
from portal.cases import services as cases
from portal.cases import workdays
from portal.cases.models import Attachment, Case, Rating
from portal.catalog.models import ServiceItem
from tests.factories import CaseInStatusFactory, DistrictFactory, SchoolFactory, UserFactory

TZ = cases.BUREAU_TZ


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=TZ)


def _case(service, district, school, *, accepted, deadline=None, closed=None, **kw):
    case = CaseInStatusFactory(
        service=service,
        district=district,
        school=school,
        accepted_on=dt.date.fromisoformat(accepted),
        deadline=dt.date.fromisoformat(deadline) if deadline else None,
        closed_at=closed,
        **kw,
    )
    return case


def _upload(case, kind, n):
    Attachment.objects.create(
        case=case,
        kind=kind,
        file=f"attachments/t{case.pk}-{n}.pdf",
        stored_name=f"t{case.pk}-{n}.pdf",
        original_name="证明.pdf",
        content_type="application/pdf",
        size=100,
        sha256="0" * 64,
        uploaded_by=case.applicant,
    )


def _lookup(case, source, operation, outcome="ok"):
    Lookup.objects.create(
        source=source,
        operation=operation,
        case=case,
        purpose="入学资格核验",
        requester_label="系统",
        subject_hash="h",
        subject_masked="3304**********0011",
        outcome=outcome,
    )


@pytest.fixture
def known(district, school, monkeypatch):
    """Five transfer cases, one suspension whose clock was paused, one suspension accepted before the
    range, and one case of another district (outside the bureau's scope)."""
    trf, sus = ServiceItem.objects.get(code="TRF"), ServiceItem.objects.get(code="SUS")
    c1 = _case(
        trf,
        district,
        school,
        accepted="2026-11-02",
        deadline="2026-11-09",
        closed=at("2026-11-06"),
        done=True,
        visits=0,
        channel="online",
    )  # on time, 4 days
    c2 = _case(
        trf,
        district,
        school,
        accepted="2026-11-02",
        deadline="2026-11-05",
        closed=at("2026-11-09"),
        done=True,
        visits=1,
        channel="counter",
    )  # late, 7 days
    # closed at 23:30 in Shanghai on its deadline (15:30 UTC): on time, 7 days
    c3 = _case(
        trf,
        district,
        school,
        accepted="2026-11-03",
        deadline="2026-11-10",
        closed=at("2026-11-10", 23, 30),
        rejected=True,
        visits=2,
        channel="online",
    )
    _case(
        trf,
        district,
        school,
        accepted="2026-11-04",
        deadline="2026-11-18",
        in_progress=True,
        visits=0,
        channel="online",
    )  # open: not decided
    _case(
        trf,
        district,
        school,
        accepted="2026-11-04",
        closed=at("2026-11-05"),
        withdrawn=True,
        visits=0,
        channel="counter",
    )  # zero visits but not online; withdrawn: nobody's decision
    _upload(c1, "户口簿", 1)
    _upload(c1, "户口簿", 2)  # replaced: still one material
    _upload(c1, "转学证明", 3)
    _upload(c2, "户口簿", 4)
    _lookup(c1, "hukou", "household")
    _lookup(c1, "hukou", "household")  # repeated: one material
    _lookup(c1, "property", "homes")
    _lookup(c1, "social_insurance", "months", outcome="unavailable")  # not fetched
    _lookup(c3, "hukou", "household")
    Rating.objects.create(case=c1, level=5)
    Rating.objects.create(case=c2, level=2)

    # the suspension: accepted Monday 11-02, paused 11-03 to 11-05 (two working days), closed one working
    # day after its first deadline — on time, because the pause moved the deadline by two working days
    def on(day):
        monkeypatch.setattr(cases, "local_today", lambda: dt.date.fromisoformat(day))
        monkeypatch.setattr(cases.common, "local_today", lambda: dt.date.fromisoformat(day))

    on("2026-11-02")
    paused = cases.case_open(
        service=sus,
        applicant=UserFactory(),
        subject_name="李𠀀",
        channel="online",
        district=district,
        school=school,
    )
    first_deadline = paused.deadline
    on("2026-11-03")
    cases.case_pause_clock(case=paused, by=None, reason="请上传医院证明")
    on("2026-11-05")
    cases.case_resume_clock(case=paused, by=None)
    cases.case_transition(case=paused, transition="complete", by=None)
    paused.refresh_from_db()
    closed_on = workdays.add_working_days(first_deadline, 1)
    assert first_deadline < closed_on <= paused.deadline
    Case.objects.filter(pk=paused.pk).update(closed_at=at(closed_on.isoformat(), 16))
    sus_days = (closed_on - dt.date(2026, 11, 2)).days

    _case(
        sus,
        district,
        school,
        accepted="2026-10-01",
        deadline="2026-10-12",
        in_progress=True,
        visits=1,
        channel="online",
    )  # before the range
    elsewhere = DistrictFactory(code="330402", name="南湖区")
    _case(
        trf, elsewhere, SchoolFactory(district=elsewhere), accepted="2026-11-02", in_progress=True, visits=5
    )
    return {"sus_days": sus_days}


RANGE = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def _totals(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">([^<]+)<', page))


def test_every_figure_matches_a_hand_count(client, known, bureau):
    client.force_login(bureau)
    response = client.get(reverse("figures:page"), RANGE)
    assert response.status_code == 200
    page = response.content.decode()
    row = re.search(r'<tr data-item="TRF">(.*?)</tr>', page, re.S).group(1)
    cells = [c.strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
    #                   cases, visits/case, 0 visits, online, fetched, on time, median days
    assert cells[0] == ServiceItem.objects.get(code="TRF").name
    assert cells[1:8] == ["5", "0.60", "60.0%", "40.0%", "50.0%", "66.7%", "7.0"]
    assert cells[8].startswith("3.50")
    sus = re.search(r'<tr data-item="SUS">(.*?)</tr>', page, re.S).group(1)
    sus_cells = [c.strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", sus, re.S)]
    assert sus_cells[1:8] == ["1", "0.00", "100.0%", "100.0%", "—", "100.0%", f"{known['sus_days']:.1f}"]

    totals = _totals(page)
    durations = sorted([4, 7, 7, known["sus_days"]])
    assert totals["cases"] == "6"  # the case before the range and the other district's are not counted
    assert totals["visits_per_case"] == "0.50"  # 3 visits / 6
    assert totals["zero_visit_share"] == "66.7%"  # 4 / 6
    assert totals["fully_online_share"] == "50.0%"  # 3 / 6
    assert totals["fetched_share"].startswith("50.0%")  # 3 fetched, 3 uploaded
    assert totals["on_time_rate"].startswith("75.0%")  # 3 of 4 decided
    assert totals["median_days"] == f"{(durations[1] + durations[2]) / 2:.1f}"
    assert totals["ratings"].startswith("3.50")  # (5 + 2) / 2
    assert "2 条评价" in page


def test_without_a_range_every_case_in_scope_counts(client, known, bureau):
    client.force_login(bureau)
    totals = _totals(client.get(reverse("figures:page")).content.decode())
    assert totals["cases"] == "7" and totals["visits_per_case"] == "0.57"  # 4 / 7


def test_the_export_holds_the_same_figures(client, known, bureau):
    from openpyxl import load_workbook

    client.force_login(bureau)
    response = client.get(reverse("figures:export"), RANGE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[1]
    assert headers[0] == "服务事项" and "准时办结率" in headers
    by_code = {row[1]: dict(zip(headers, row, strict=True)) for row in rows[2:]}
    trf = by_code["TRF"]
    assert trf["办件量"] == 5 and trf["准时办结率"] == pytest.approx(2 / 3)
    assert trf["材料调取占比"] == pytest.approx(0.5) and trf["评价数"] == 2
    total = rows[-1]
    assert total[0] == "合计" and total[2] == 6


def test_staff_other_than_the_bureau_may_not_see_the_figures(client, known, clerk, parent):
    for user in (clerk, parent):
        client.force_login(user)
        assert client.get(reverse("figures:page")).status_code == 403
        assert client.get(reverse("figures:export")).status_code == 403


def test_a_bad_range_is_a_form_error(client, today, bureau):
    client.force_login(bureau)
    response = client.get(reverse("figures:page"), {"date_from": "2026-12-01", "date_to": "2026-11-01"})
    assert response.status_code == 400
    assert client.get(reverse("figures:page"), {"date_from": "not a date"}).status_code == 400


@pytest.mark.django_db(transaction=False)
def test_the_demo_data_shows_non_zero_figures(client, settings):
    settings.DEBUG = True
    call_command("seed_demo", households=0, seed=1, force=True, stdout=io.StringIO())
    from portal.accounts.models import User

    client.force_login(User.objects.get(username="bureau"))
    page = client.get(reverse("figures:page")).content.decode()
    totals = _totals(page)
    assert int(totals["cases"]) > 0
    assert totals["zero_visit_share"] != "—" and totals["zero_visit_share"] != "0.0%"
