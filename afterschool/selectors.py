"""Reads of after-school care: seats, queues, positions, the refund a withdrawal would give, and what a
user may see (DESIGN.md: reads in selectors)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

from afterschool.models import SEAT_STATES, Application, Collector, PickUp, Program, ProgramSlot, State
from portal.cases.scoping import scope_cases
from portal.cases.workdays import is_workday, working_days_between
from portal.core.pii import mask_phone
from studentstatus.selectors import records_for


def seats_taken(slot: ProgramSlot) -> int:
    return Application.objects.filter(slot=slot, state__in=SEAT_STATES).count()


def slot_queue(slot: ProgramSlot):
    """Who waits for a seat of ``slot``, first come first served: the applications waitlisted in it and
    those holding a seat elsewhere that asked to change into it."""
    return (
        Application.objects.filter(
            Q(slot=slot, state=State.WAITLISTED) | Q(requested_slot=slot, state__in=SEAT_STATES)
        )
        .select_related("case", "slot")
        .order_by("queued_at", "pk")
    )


def waitlist_position(application: Application) -> int | None:
    """1 for the first in the queue of the slot it waits for; None when it waits for nothing."""
    if application.state == State.WAITLISTED:
        slot_id = application.slot_id
    elif application.requested_slot_id and application.state in SEAT_STATES:
        slot_id = application.requested_slot_id
    else:
        return None
    ahead = slot_queue(ProgramSlot(pk=slot_id)).filter(
        Q(queued_at__lt=application.queued_at) | Q(queued_at=application.queued_at, pk__lt=application.pk)
    )
    return ahead.count() + 1


def slot_figures(program: Program) -> list[dict]:
    """Per slot: capacity, seats held, free seats and the queue's length (two queries)."""
    slots = list(program.slots.all())
    held = dict(
        Application.objects.filter(program=program, state__in=SEAT_STATES)
        .values_list("slot")
        .annotate(n=Count("pk"))
    )
    waiting = dict(
        Application.objects.filter(program=program, state=State.WAITLISTED)
        .values_list("slot")
        .annotate(n=Count("pk"))
    )
    changing = dict(
        Application.objects.filter(program=program, state__in=SEAT_STATES, requested_slot__isnull=False)
        .values_list("requested_slot")
        .annotate(n=Count("pk"))
    )
    return [
        {
            "slot": slot,
            "leave_at": slot.leave_at,
            "capacity": slot.capacity,
            "taken": held.get(slot.pk, 0),
            "free": max(slot.capacity - held.get(slot.pk, 0), 0),
            "waitlisted": waiting.get(slot.pk, 0) + changing.get(slot.pk, 0),
        }
        for slot in slots
    ]


def program_status(program: Program, *, today: dt.date, figures: list[dict] | None = None) -> str:
    figures = slot_figures(program) if figures is None else figures
    return program.status_on(today, free_seats=sum(f["free"] for f in figures))


def programs_visible():
    return Program.objects.select_related("school", "fee_item").prefetch_related("slots")


def term_school_days(program: Program) -> int:
    return working_days_between(program.term_starts, program.term_ends + dt.timedelta(days=1))


def school_days_left(program: Program, on: dt.date) -> int:
    """School days of the term from ``on`` (that day included: a withdrawal takes effect the day it is
    made) to the last day; working days of the kernel's calendar, holidays excluded."""
    first = max(on, program.term_starts)
    return working_days_between(first, program.term_ends + dt.timedelta(days=1))


def refund_quote(application: Application, *, on: dt.date) -> int:
    """What withdrawing on ``on`` refunds (fen): the paid fee × school days left ÷ school days of the
    term, rounded down to the fen, never more than may still be refunded. 0 unless enrolled and paid."""
    order = application.order
    if application.state != State.ENROLLED or order is None or order.paid_fen == 0:
        return 0
    total = term_school_days(application.program)
    if total == 0:
        return 0
    amount = order.paid_fen * school_days_left(application.program, on) // total
    return min(amount, order.refundable_fen)


def applications_for_user(user):
    """The signed-in guardian's applications; staff: those in their scope (school, district)."""
    qs = Application.objects.select_related(
        "case",
        "case__service",
        "program",
        "program__school",
        "program__fee_item",
        "slot",
        "requested_slot",
        "order",
    )
    return scope_cases(user, qs, case_path="case")


def application_for_user(user, reference_no: str) -> Application:
    from django.http import Http404

    application = applications_for_user(user).filter(case__reference_no=reference_no).first()
    if application is None:
        raise Http404(reference_no)
    return application


def review_queue(user):
    return applications_for_user(user).filter(state=State.AWAITING_REVIEW).order_by("submitted_at", "pk")


def waitlist(user, program: Program):
    return (
        applications_for_user(user)
        .filter(
            Q(program=program, state=State.WAITLISTED)
            | Q(program=program, requested_slot__isnull=False, state__in=SEAT_STATES)
        )
        .order_by("queued_at", "pk")
    )


# --- pick-up rosters (接送名单) -------------------------------------------------------------------------


def is_care_day(program: Program, day: dt.date) -> bool:
    """A day the programme runs: in its term, on one of its weekdays, and a school day of the kernel's
    calendar (no care on a holiday; a make-up school day counts when its weekday is served)."""
    return (
        program.term_starts <= day <= program.term_ends
        and day.isoweekday() in program.weekday_list
        and is_workday(day)
    )


@dataclass
class RosterRow:
    """One pupil on a roster: who they are, who may collect them, and the day's pick-up if marked."""

    application: Application
    student_name: str
    grade: int
    class_name: str
    guardian_name: str
    guardian_phone: str  # masked
    collectors: list  # the active Collector rows (their phones masked by .masked_phone)
    pickup: PickUp | None


@dataclass
class RosterSection:
    """The pupils of one programme leaving at one time on a day."""

    program: Program
    slot: ProgramSlot
    day: dt.date
    rows: list[RosterRow] = field(default_factory=list)

    @property
    def collected(self) -> int:
        return sum(1 for row in self.rows if row.pickup is not None)


ACTIVE_COLLECTORS = Collector.objects.filter(removed_at__isnull=True)


def roster_programs(school, day: dt.date) -> list[Program]:
    """The school's programmes that run on ``day``."""
    programs = Program.objects.filter(school=school, term_starts__lte=day, term_ends__gte=day).select_related(
        "school"
    )
    return [p for p in programs.prefetch_related("slots") if is_care_day(p, day)]


def roster(*, school, day: dt.date, slot: ProgramSlot | None = None) -> list[RosterSection]:
    """Per slot of the school's programmes running on ``day`` (or the one ``slot``): the enrolled pupils
    with their class (from the studentstatus platform's records), the guardian's masked phone, who may
    collect them and the day's pick-up. A handful of queries whatever the number of pupils."""
    programs = roster_programs(school, day)
    if slot is not None:
        programs = [p for p in programs if p.pk == slot.program_id]
    sections = {
        s.pk: RosterSection(program=p, slot=s, day=day)
        for p in programs
        for s in p.slots.all()
        if slot is None or s.pk == slot.pk
    }
    if not sections:
        return []
    applications = list(
        Application.objects.filter(slot__in=list(sections), state=State.ENROLLED)
        .select_related("guardian", "case")
        .prefetch_related(Prefetch("collectors", queryset=ACTIVE_COLLECTORS, to_attr="active"))
    )
    pickups = {
        p.application_id: p
        for p in PickUp.objects.filter(application__in=applications, day=day).select_related("collector")
    }
    records = records_for([a.student_id_number for a in applications])
    for app in applications:
        record = records.get(app.student_id_number)
        sections[app.slot_id].rows.append(
            RosterRow(
                application=app,
                student_name=app.student_name,
                grade=record.grade if record else app.grade,
                class_name=record.class_name if record else "",
                guardian_name=app.guardian.real_name or app.guardian.display_name,
                guardian_phone=mask_phone(app.guardian.phone),
                collectors=app.active,
                pickup=pickups.get(app.pk),
            )
        )
    for section in sections.values():
        section.rows.sort(key=lambda r: (r.grade, r.class_name, r.student_name))
    return sorted(sections.values(), key=lambda s: (s.slot.leave_at, s.program.name))
