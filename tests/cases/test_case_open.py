"""Opening a case: reference numbers, deadline, visits, the first event and message."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from portal.cases.models import Case, CaseEvent, CaseStatus, ReferenceCounter
from portal.cases.services import case_open, case_opening, case_set_next_step
from portal.catalog.models import DecisionMode
from portal.notify.models import Message
from tests.factories import ServiceItemFactory, UserFactory, make_id_number
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def test_open_registers_the_case(open_case, set_today, applicant):
    set_today(date(2026, 2, 9))  # Monday; promised 5 working days
    id_number = make_id_number(date(2020, 5, 1), 17)
    case = open_case(subject_id_number=id_number.lower(), note="网上申报")

    case.refresh_from_db()
    assert case.reference_no == "JY-TST-2026-000001"
    assert case.status == CaseStatus.SUBMITTED
    assert case.accepted_on == date(2026, 2, 9)
    assert case.promised_days == 5
    assert case.deadline == date(2026, 2, 14)  # 10, 11, 12, 13, Saturday 14 (make-up working day)
    assert case.visits == 0
    assert case.subject_id_number == id_number  # normalised (upper-case X), encrypted at rest
    assert case.masked_subject_id == id_number[:3] + "*" * 11 + id_number[-4:]

    (event,) = CaseEvent.objects.filter(case=case)
    assert (event.seq, event.action, event.to_state, event.note) == (1, "submitted", "submitted", "网上申报")
    assert event.actor == applicant
    (message,) = Message.objects.filter(recipient=applicant, case=case)
    assert case.reference_no in message.subject


def test_a_counter_case_counts_one_visit(open_case, clerk):
    case = open_case(channel="counter", by=clerk)
    assert case.visits == 1
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "submitted",
        "visit_recorded",
    ]
    assert CaseEvent.objects.get(case=case, seq=1).actor == clerk


def test_an_instant_service_is_due_the_same_day(open_case, set_today):
    set_today(date(2026, 2, 13))
    instant = ServiceItemFactory(code="NOW", decision_mode=DecisionMode.INSTANT, promised_days=3)
    case = open_case(service=instant)
    assert (case.promised_days, case.deadline) == (0, date(2026, 2, 13))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject_name": "  "}, "subject_name"),
        ({"subject_id_number": "330411202005010170"}, "subject_id_number"),  # wrong check digit
        ({"channel": "fax"}, "channel"),
    ],
)
def test_bad_input_is_a_field_error(open_case, overrides, field):
    with pytest.raises(ValidationError) as excinfo:
        open_case(**overrides)
    assert field in excinfo.value.message_dict
    assert not Case.objects.exists()


def test_reference_numbers_are_sequential_per_service_and_year(open_case, set_today):
    other = ServiceItemFactory(code="abc")
    set_today(date(2026, 12, 31))
    numbers = [open_case().reference_no for _ in range(3)]
    numbers.append(open_case(service=other).reference_no)
    set_today(date(2027, 1, 1))
    numbers.append(open_case().reference_no)
    numbers.append(open_case(service=other).reference_no)
    assert numbers == [
        "JY-TST-2026-000001",
        "JY-TST-2026-000002",
        "JY-TST-2026-000003",
        "JY-ABC-2026-000001",
        "JY-TST-2027-000001",
        "JY-ABC-2027-000001",
    ]


def test_an_open_that_is_rolled_back_gives_its_number_back(open_case, set_today):
    set_today(date(2026, 3, 2))
    assert open_case().reference_no == "JY-TST-2026-000001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert open_case().reference_no == "JY-TST-2026-000002"
        raise RuntimeError("the service's own write failed after the case was opened")
    assert open_case().reference_no == "JY-TST-2026-000002"  # no gap


def test_many_opens_get_unique_consecutive_numbers(open_case, set_today):
    set_today(date(2026, 3, 2))
    numbers = [open_case().reference_no for _ in range(40)]
    assert numbers == [f"JY-TST-2026-{n:06d}" for n in range(1, 41)]
    assert ReferenceCounter.objects.get(service_code="TST", year=2026).last == 40


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
@pytest.mark.django_db(transaction=True)
def test_concurrent_opens_never_share_a_number(service, district, school):
    applicants = [UserFactory() for _ in range(8)]
    barrier = threading.Barrier(len(applicants))
    numbers = []

    def open_some():
        applicant = applicants.pop()
        barrier.wait()
        for _ in range(3):
            case = case_open(
                service=service,
                applicant=applicant,
                subject_name="王小明",
                channel="online",
                district=district,
                school=school,
            )
            numbers.append(case.reference_no)

    assert run_in_threads(open_some, len(applicants)) == []
    year = Case.objects.first().accepted_on.year
    assert sorted(numbers) == [f"JY-TST-{year}-{n:06d}" for n in range(1, 25)]


def test_the_number_is_taken_last_so_its_lock_is_held_briefly(open_case, service, applicant, district):
    """The counter row stays locked until the caller commits, so the number is the last thing taken: the
    caller's own writes about the new case come before it (case_opening), and after it only the number
    is written into the case and announced to the applicant."""
    from django.test.utils import CaptureQueriesContext

    from portal.cases.services import case_log_event

    open_case()  # the year's counter row exists
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with case_opening(
            service=service, applicant=applicant, subject_name="王小明", channel="online", district=district
        ) as case:
            assert "~" in case.reference_no  # provisional, never committed
            case_log_event(case=case, action="note_added", note="the caller's own write")
        assert case.reference_no == f"JY-TST-{case.accepted_on.year}-000002"
    statements = [q["sql"] for q in queries.captured_queries]
    taken = next(i for i, sql in enumerate(statements) if "cases_referencecounter" in sql)
    after = statements[taken + 1 : -1]  # up to the caller's commit (here: releasing its savepoint)
    assert [sql.split()[0] + " " + sql.split('"')[1] for sql in after] == [
        "UPDATE cases_case",  # the number
        "INSERT notify_message",
        "INSERT notify_delivery",
    ]
    stored = Case.objects.get(pk=case.pk)
    assert stored.reference_no == case.reference_no
    assert [e.note for e in stored.events.order_by("seq")][-1] == "the caller's own write"
    assert case.reference_no in Message.objects.get(case=case).subject


def test_a_failure_inside_case_opening_takes_no_number(open_case, service, applicant, district):
    first = open_case()
    with (
        pytest.raises(RuntimeError),
        transaction.atomic(),
        case_opening(
            service=service, applicant=applicant, subject_name="王小明", channel="online", district=district
        ),
    ):
        raise RuntimeError("the caller's write failed")
    assert Case.objects.count() == 1
    assert open_case().reference_no == first.reference_no[:-6] + "000002"


def test_next_step_is_shown_and_capped(open_case):
    case = open_case()
    case_set_next_step(case=case, text=" 请于3个工作日内到校核验原件 ")
    case.refresh_from_db()
    assert case.next_step == "请于3个工作日内到校核验原件"
    with pytest.raises(ValidationError) as excinfo:
        case_set_next_step(case=case, text="长" * 301)
    assert "next_step" in excinfo.value.message_dict


def test_the_longest_service_code_fits_the_provisional_and_the_real_number(open_case, set_today):
    set_today(date(2026, 3, 2))
    service = ServiceItemFactory(code="ABCDEFGH", decision_mode=DecisionMode.PROMISED, promised_days=5)
    assert open_case(service=service).reference_no == "JY-ABCDEFGH-2026-000001"


def test_the_next_step_is_written_with_the_case_itself(open_case, service, applicant, district):
    """A caller that knows the applicant's next step passes it to the opening: it goes into the case's
    first insert, not into an UPDATE of its own."""
    from django.test.utils import CaptureQueriesContext

    open_case()  # the year's counter row exists
    text = "系统正在查询和核验您的信息。"
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        case_opening(
            service=service,
            applicant=applicant,
            subject_name="王小明",
            channel="online",
            district=district,
            next_step=f"  {text} ",
        ) as case,
    ):
        pass
    assert Case.objects.get(pk=case.pk).next_step == text
    assert not [
        q
        for q in queries.captured_queries
        if '"next_step"' in q["sql"].split("WHERE")[0] and q["sql"].startswith("UPDATE")
    ]
