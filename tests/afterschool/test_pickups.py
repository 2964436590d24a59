"""Pick-up rosters (issue 17 item 5): per school, day and slot the enrolled pupils with their class (from
the studentstatus platform), the guardian's masked phone and who may collect them; the guardian names
collectors on the application page; a teacher marks who collected each pupil and when, on a phone page;
the printable page and the Excel file show the same. Term end closes programmes, idempotently."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from afterschool import pickups, services, tasks
from afterschool.models import Collector, PickUp, ProgramPhase, State
from afterschool.selectors import is_care_day, roster
from portal.cases.models import CaseEvent
from portal.cases.workflow import ActionNotAllowed

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 5, 11)  # a school day of the test programme's spring term
LABOUR_DAY = dt.date(2026, 5, 1)  # a public holiday (a Friday)
MAKE_UP_SATURDAY = dt.date(2026, 5, 9)  # a make-up school day (调休)


@pytest.fixture
def enrolled(family, apply, act, clerk, pay):
    def _enrolled(slot="16:30", **kwargs):
        app = act(services.application_approve, application=apply(family(**kwargs), slot=slot), by=clerk)
        pay(app)
        assert app.state == State.ENROLLED
        return app

    return _enrolled


def test_care_days_follow_the_term_the_weekdays_and_the_calendar(world):
    program = world.program  # Monday to Friday
    assert is_care_day(program, MONDAY)
    assert not is_care_day(program, LABOUR_DAY)  # a public holiday on a Friday
    assert not is_care_day(program, dt.date(2026, 5, 10))  # Sunday
    assert not is_care_day(program, MAKE_UP_SATURDAY)  # a school day, but Saturdays are not served
    assert not is_care_day(program, program.term_ends + dt.timedelta(days=3))
    program.weekdays = "1-6"
    assert is_care_day(program, MAKE_UP_SATURDAY)
    assert not is_care_day(program, dt.date(2026, 5, 16))  # an ordinary Saturday: no school


def test_roster_per_slot_with_class_masked_phone_and_collectors(world, family, apply, enrolled, act):
    first = enrolled("16:30", class_name="三(1)班")
    second = enrolled("16:30", class_name="三(2)班", name="阿依·努尔")
    late = enrolled("17:30")
    apply(family(), slot="16:30")  # waitlisted for 16:30 (two seats, both enrolled): not on the roster
    act(
        pickups.collector_add,
        application=first,
        by=first.guardian,
        name="王奶奶",
        relation="祖母",
        phone="139 1234 5678",
    )
    sections = roster(school=world.p1, day=MONDAY)
    assert [(s.slot.leave_at, len(s.rows)) for s in sections] == [("16:30", 2), ("17:30", 1)]
    rows = {r.application.pk: r for r in sections[0].rows}
    assert rows[first.pk].class_name == "三(1)班" and rows[second.pk].student_name == "阿依·努尔"
    phone = first.guardian.phone
    assert rows[first.pk].guardian_phone == phone[:3] + "****" + phone[-4:]
    assert [(c.name, c.relation, c.masked_phone) for c in rows[first.pk].collectors] == [
        ("王奶奶", "祖母", "139****5678")
    ]
    assert sections[1].rows[0].application.pk == late.pk
    assert roster(school=world.p1, day=LABOUR_DAY) == []
    assert roster(school=world.p2, day=MONDAY) == []
    only = roster(school=world.p1, day=MONDAY, slot=world.late)
    assert [s.slot.pk for s in only] == [world.late.pk]


def test_the_guardian_names_and_removes_collectors(world, family, apply, act, client, clerk):
    app = apply(family())
    client.force_login(app.guardian)
    ref = app.case.reference_no
    page = client.get(f"/afterschool/applications/{ref}/").content.decode()
    assert "接送" in page
    client.post(
        f"/afterschool/applications/{ref}/collectors/", {"name": "李䶮", "relation": "母亲", "phone": "12"}
    )
    assert not Collector.objects.exists()  # a bad phone is a message, nothing saved
    response = client.post(
        f"/afterschool/applications/{ref}/collectors/",
        {"name": "李䶮", "relation": "母亲", "phone": "13912345678"},
    )
    assert response.status_code == 302
    collector = Collector.objects.get()
    assert (
        collector.phone == "13912345678"
        and "139****5678" in client.get(response["Location"]).content.decode()
    )
    assert "afterschool.collector_added" in CaseEvent.objects.filter(case=app.case).values_list(
        "action", flat=True
    )
    client.force_login(clerk)  # the school sees who may collect on the review page
    assert "李䶮（母亲）139****5678" in client.get(f"/afterschool/school/review/{ref}/").content.decode()
    client.force_login(app.guardian)
    # another family cannot add or remove; their pages answer 404, the service refuses outright
    stranger = family().guardian
    with pytest.raises(PermissionDenied):
        pickups.collector_add(application=app, by=stranger, name="张三", relation="邻居", phone="13900000000")
    client.force_login(stranger)
    assert (
        client.post(f"/afterschool/applications/{ref}/collectors/{collector.pk}/remove/").status_code == 404
    )
    client.force_login(app.guardian)
    client.post(f"/afterschool/applications/{ref}/collectors/{collector.pk}/remove/")
    collector.refresh_from_db()
    assert collector.removed_at is not None


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"name": "", "relation": "祖母", "phone": "13912345678"}, {"name"}),
        ({"name": "王奶奶", "relation": "", "phone": "13912345678"}, {"relation"}),
        ({"name": "王奶奶", "relation": "祖母", "phone": "0571-8888888"}, {"phone"}),
        ({"name": "", "relation": "", "phone": ""}, {"name", "relation", "phone"}),
    ],
)
def test_collector_input_errors_per_field(family, apply, fields, bad):
    app = apply(family())
    with pytest.raises(ValidationError) as exc:
        pickups.collector_add(application=app, by=app.guardian, **fields)
    assert set(exc.value.message_dict) == bad


def test_at_most_four_collectors_and_only_while_live(family, apply, act):
    app = apply(family())
    for n in range(4):
        act(pickups.collector_add, application=app, by=app.guardian, name=f"亲属{n}", relation="亲属",
            phone=f"1390000000{n}")  # fmt: skip
    with pytest.raises(ActionNotAllowed):
        pickups.collector_add(
            application=app, by=app.guardian, name="亲属9", relation="亲属", phone="13900000009"
        )
    act(services.application_withdraw, application=app, by=app.guardian)
    app.refresh_from_db()
    with pytest.raises(ActionNotAllowed):
        pickups.collector_add(
            application=app, by=app.guardian, name="亲属8", relation="亲属", phone="13900000008"
        )


def test_teacher_marks_who_collected_and_when(world, enrolled, act, clerk):
    app = enrolled()
    grandma = act(
        pickups.collector_add,
        application=app,
        by=app.guardian,
        name="王奶奶",
        relation="祖母",
        phone="13912345678",
    )
    by_guardian = pickups.pickup_mark(application=app, day=MONDAY, by=clerk, at=dt.time(16, 40))
    assert by_guardian.collector is None and by_guardian.collected_by == app.guardian.real_name
    assert by_guardian.leave_at == "16:30" and by_guardian.marked_by == clerk
    corrected = pickups.pickup_mark(
        application=app, day=MONDAY, by=clerk, collector_id=grandma.pk, at=dt.time(16, 45)
    )
    assert PickUp.objects.count() == 1 and corrected.collected_by == "王奶奶（祖母）"
    assert roster(school=world.p1, day=MONDAY)[0].rows[0].pickup.collected_by == "王奶奶（祖母）"


@pytest.fixture
def marked(enrolled):
    return enrolled()


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("stranger_collector", ValidationError),
        ("removed_collector", ValidationError),
        ("holiday", ValidationError),
        ("day_to_come", ValidationError),
        ("other_school_clerk", PermissionDenied),
        ("guardian_marks", PermissionDenied),
        ("not_enrolled", ActionNotAllowed),
    ],
)
def test_pickups_refused(case, error, marked, family, apply, act, clerk, other_clerk):
    app, kwargs = marked, {"day": MONDAY, "by": clerk}
    if case == "stranger_collector":  # another pupil's collector
        other = apply(family())
        kwargs["collector_id"] = act(
            pickups.collector_add, application=other, by=other.guardian, name="张三", relation="舅舅",
            phone="13700000000",
        ).pk  # fmt: skip
    elif case == "removed_collector":
        collector = act(
            pickups.collector_add,
            application=app,
            by=app.guardian,
            name="张三",
            relation="舅舅",
            phone="13700000000",
        )
        act(pickups.collector_remove, collector=collector, by=app.guardian)
        kwargs["collector_id"] = collector.pk
    elif case == "holiday":
        kwargs["day"] = LABOUR_DAY
    elif case == "day_to_come":
        kwargs["day"] = dt.date.today() + dt.timedelta(days=2)
    elif case == "other_school_clerk":
        kwargs["by"] = other_clerk
    elif case == "guardian_marks":
        kwargs["by"] = app.guardian
    elif case == "not_enrolled":
        app = apply(family(), slot="17:30")
    with pytest.raises(error):
        pickups.pickup_mark(application=app, **kwargs)
    assert not PickUp.objects.exists()


def test_phone_page_marks_and_print_and_excel_show_the_roster(world, enrolled, client, clerk, other_clerk):
    app = enrolled()
    client.force_login(clerk)
    day = MONDAY.isoformat()
    index = client.get(f"/afterschool/school/rosters/?day={day}").content.decode()
    assert "接送名单" in index and "16:30" in index
    page = client.get(f"/afterschool/school/rosters/{world.early.pk}/?day={day}")
    assert page.status_code == 200 and app.student_name in page.content.decode()
    bad = client.post(
        f"/afterschool/school/rosters/{world.early.pk}/?day={day}",
        {"application": app.case.reference_no, "collector": "guardian", "at": "25:99"},
    )
    assert bad.status_code == 400 and not PickUp.objects.exists()
    done = client.post(
        f"/afterschool/school/rosters/{world.early.pk}/?day={day}",
        {"application": app.case.reference_no, "collector": "guardian", "at": "16:42"},
    )
    assert done.status_code == 302
    pickup = PickUp.objects.get()
    assert pickup.collected_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%H:%M") == "16:42"

    printed = client.get(f"/afterschool/school/rosters/print/?day={day}").content.decode()
    phone = app.guardian.phone
    assert app.student_name in printed and "三(2)班" in printed and "16:42" in printed
    assert phone not in printed and f"{phone[:3]}****{phone[-4:]}" in printed

    response = client.get(f"/afterschool/school/rosters/roster.xlsx?day={day}&slot={world.early.pk}")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][2] == "学生" and rows[2][2] == app.student_name and rows[2][7] == "16:42"
    assert phone not in str(rows)

    # another school's clerk sees none of it
    client.force_login(other_clerk)
    assert client.get(f"/afterschool/school/rosters/{world.early.pk}/?day={day}").status_code == 404
    assert client.get(f"/afterschool/school/rosters/roster.xlsx?slot={world.early.pk}").status_code == 404


def test_term_end_closes_programmes_once(world):
    world.program.term_ends = dt.date.today() - dt.timedelta(days=1)
    world.program.save()
    assert tasks.close_ended_terms() == 1
    assert tasks.close_ended_terms() == 0  # idempotent
    world.program.refresh_from_db()
    assert world.program.phase == ProgramPhase.CLOSED and world.program.closed_at is not None
