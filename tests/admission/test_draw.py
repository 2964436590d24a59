"""The allocation's database layer and ``manage.py allocate``: tier order, tie-breaks, the published
lottery, redistribution, siblings, dry run, reproducibility, and recomputation with plain Python."""

import datetime as dt
import json
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from admission import allocation as A
from admission.models import AdmissionRound, AllocationRun, Placement, SeatLedger
from enrollment.models import Application
from tests.admission import factories as F
from tests.i18n import zh

RECOMPUTE = Path(__file__).resolve().parents[2] / "admission" / "recompute.py"


def allocate(*args):
    out = StringIO()
    call_command("allocate", "--year", "2027", "--stage", "primary", *args, stdout=out)
    return out.getvalue()


def school_of(app):
    """The school of the application's live placement (``application.school`` is set once final)."""
    placement = (
        Placement.objects.filter(application=app).exclude(state="revoked").select_related("school").first()
    )
    return placement.school.code if placement else None


def test_tier_order_dates_and_redistribution_to_the_nearest_school_with_seats(town):
    d, north = town["district"], town["north"]
    c_tier = F.qualified(d, north, tier="C", date="2010-01-01")
    a_late = F.qualified(d, north, tier="A", date="2020-06-01")
    a_early = F.qualified(d, north, tier="A", date="2015-03-01")
    b_tier = F.qualified(d, north, tier="B", date="2012-01-01")
    output = allocate("--seed", "public-2027")
    assert "zone 2, redistributed 2, waiting 0" in output
    assert school_of(a_early) == school_of(a_late) == "N01"  # tier A first, both fit
    assert school_of(b_tier) == "M01"  # nearest school with a seat (~3 km)
    assert school_of(c_tier) == "S01"  # MIDDLE full by then: the next nearest
    assert Placement.objects.get(application=b_tier).how == "redistributed"
    assert Placement.objects.get(application=b_tier).distance_km == pytest.approx(3.34, abs=0.01)
    for app in (a_early, a_late, b_tier, c_tier):
        app.refresh_from_db()
        assert (app.state, app.school_id) == ("qualified", None)  # admitted when the public notice ends
    assert dict(SeatLedger.objects.values_list("school__code", "taken")) == {"N01": 2, "M01": 1, "S01": 1}


def test_ties_are_broken_by_the_published_seed_and_anyone_can_recompute_the_draw(town, tmp_path):
    d, north = town["district"], town["north"]
    apps = [F.qualified(d, north, date="2016-01-01") for _ in range(6)]
    round_ = AdmissionRound.objects.create(district=d, year=2027, stage="primary")
    dry = allocate("--seed", "lottery-2027", "--dry-run")
    assert "DRY RUN" in dry
    assert not Placement.objects.exists() and not SeatLedger.objects.filter(taken__gt=0).exists()
    round_.refresh_from_db()
    assert round_.seed == ""  # a dry run publishes nothing
    allocate("--seed", "lottery-2027")
    round_.refresh_from_db()
    run = AllocationRun.objects.get(dry_run=False)
    assert round_.seed == "lottery-2027" and round_.seed_published_at <= run.started_at
    dry_run = AllocationRun.objects.get(dry_run=True)
    assert dry_run.result_sha256 == run.result_sha256  # the dry run showed exactly what was written

    by_lottery = sorted(apps, key=lambda a: A.lottery_number("lottery-2027", a.case.reference_no))
    assert {school_of(a) for a in by_lottery[:2]} == {"N01"}
    assert {school_of(a) for a in by_lottery[2:]} == {"M01", "S01"}

    # the published inputs + plain Python (no Django) give the same result digest
    inputs = tmp_path / "inputs.json"
    inputs.write_bytes(run.inputs_file.read())
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("recompute.py", "allocation.py"):
        shutil.copy(RECOMPUTE.parent / name, tools / name)
    python = shutil.which("python3") or sys.executable
    done = subprocess.run(
        [python, "-I", str(tools / "recompute.py"), str(inputs), "--expect", run.result_sha256],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert f"result digest  {run.result_sha256}" in done.stdout
    wrong = subprocess.run(
        [python, "-I", str(tools / "recompute.py"), str(inputs), "--expect", "0" * 64], capture_output=True
    )
    assert wrong.returncode == 1
    document = json.loads(inputs.read_text())
    assert document["seed"] == "lottery-2027"
    assert "王小明" not in inputs.read_text(encoding="utf-8")  # no names, no ID numbers


def test_a_rerun_with_the_same_seed_gives_the_same_result(town):
    d = town["district"]
    apps = [F.qualified(d, town["north"], date="2016-01-01") for _ in range(5)]
    allocate("--seed", "s1")
    first = {a.pk: school_of(a) for a in apps}
    digest = AllocationRun.objects.get(dry_run=False).result_sha256
    # start again from nothing: the same seed places everyone exactly as before
    Placement.objects.all().delete()
    SeatLedger.objects.update(taken=0)
    allocate("--seed", "s1")
    assert {a.pk: school_of(a) for a in apps} == first
    assert AllocationRun.objects.filter(dry_run=False).latest("pk").result_sha256 == digest
    # and a third run has nobody left to place: nothing changes
    out = allocate("--seed", "s1")
    assert "applicants 0" in out
    assert Placement.objects.count() == 5


def test_a_published_seed_cannot_be_replaced(town):
    F.qualified(town["district"], town["north"])
    allocate("--seed", "first")
    with pytest.raises(
        CommandError, match=zh("The seed %(seed)s was published on %(at)s; a draw cannot use another.")
    ):
        allocate("--seed", "second")


def test_siblings_are_kept_together(town):
    d, north = town["district"], town["north"]
    F.qualified(d, north, tier="A", date="2010-01-01")  # takes one of NORTH's two seats
    older = F.qualified(d, north, tier="B", date="2012-01-01", name="王大")
    twin = F.qualified(d, north, tier="B", date="2012-01-01", sibling=older, name="王二")
    allocate("--seed", "x")
    assert school_of(older) == school_of(twin) == "S01"  # NORTH 1 left, MIDDLE 1: both need one school


def test_a_younger_child_follows_the_older_siblings_school(town):
    d = town["district"]
    older = F.qualified(d, town["south"], year=2025)
    Application.objects.filter(pk=older.pk).update(state="admitted", school=town["south"])
    younger = F.qualified(d, town["north"], tier="C", sibling=older)
    allocate("--seed", "x")
    assert school_of(younger) == "S01"


def test_applications_of_other_years_stages_or_states_are_not_placed(town):
    d, north = town["district"], town["north"]
    from tests.factories import ApplicationFactory

    ApplicationFactory(needs_review=True, district=d, zone=north)
    F.qualified(d, north, year=2026)
    out = allocate("--seed", "x")
    assert "nothing to allocate" in out or "applicants 0" in out
    assert not Placement.objects.exists()


def test_admission_demo_opens_the_rounds(town):
    out = StringIO()
    call_command("admission_demo", "--district", town["district"].code, stdout=out)
    call_command("admission_demo", "--district", town["district"].code, stdout=out)  # idempotent
    assert AdmissionRound.objects.filter(district=town["district"], year=2027).count() == 3
    with pytest.raises(CommandError):
        call_command("admission_demo", "--district", "000000", stdout=out)


def test_placements_beyond_the_free_seats_are_refused_and_nothing_is_written(town):
    """``write_placements`` checks the seat numbers itself: a result that overfills a school (it cannot
    come from the draw, which counts the locked free seats) raises NoSeat before any row is written."""
    from django.db import transaction

    from admission import draw as D
    from admission import seats

    d, north = town["district"], town["north"]
    F.qualified(d, north), F.qualified(d, north)
    allocate("--seed", "s1")  # NORTH's two seats are taken
    late = F.qualified(d, north)
    round_, run = AdmissionRound.objects.get(), AllocationRun.objects.get(dry_run=False)
    inputs = D.DrawInputs(
        schools=[],
        applicants=[],
        application_ids={late.case.reference_no: late.pk},
        school_ids={"N01": north.pk},
        school_names={},
        free={},
    )
    result = A.Result(
        seed="s1",
        assignments=[A.Assignment(late.case.reference_no, "N01", A.ZONE, 1, "f" * 64)],
        remaining={},
    )
    with pytest.raises(seats.NoSeat, match="1 placements, 0 free seats"), transaction.atomic():
        ledgers = seats.lock_ledgers(schools=[north], year=2027)
        D.write_placements(
            round_=round_,
            run=run,
            inputs=inputs,
            result=result,
            ledgers=ledgers,
            today=dt.date(2027, 6, 1),
        )
    assert Placement.objects.filter(school=north).count() == 2
    assert SeatLedger.objects.get(school=north).taken == 2
