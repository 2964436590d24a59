"""Reading cases (HackSoft style: services write, selectors read). Every read of a case for a user goes
through :mod:`portal.cases.scoping`."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case as CaseWhen
from django.db.models import F, Q, QuerySet, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.cases import registry
from portal.cases.actions import label_for
from portal.cases.models import (
    FINAL_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    RectificationStatus,
    RectificationTask,
)
from portal.cases.scoping import scope_cases


def cases_for_user(user) -> QuerySet[Case]:
    """The cases ``user`` may see (none for strangers), newest first."""
    return scope_cases(user, Case.objects.select_related("service", "applicant", "school"))


def case_for_user(user, reference_no: str) -> Case:
    """One case by reference number, or Http404 — also when it exists but is someone else's, so that
    guessing reference numbers reveals nothing (never 403)."""
    case = cases_for_user(user).filter(reference_no=(reference_no or "").strip().upper()).first()
    if case is None:
        raise Http404(_("No such case."))
    return case


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: dt.datetime
    actor_label: str
    action: str
    label: str
    from_state: str
    to_state: str
    note: str
    data: dict


def case_timeline(case: Case) -> list[TimelineEntry]:
    """The case's events in order, with the human label of each action."""
    return [
        TimelineEntry(
            seq=event.seq,
            at=event.at,
            actor_label=event.actor_label,
            action=event.action,
            label=label_for(event.action),
            from_state=event.from_state,
            to_state=event.to_state,
            note=event.note,
            data=event.data,
        )
        for event in CaseEvent.objects.filter(case=case).order_by("seq")
    ]


def case_deadline_display(case: Case) -> str:
    """What a page shows as the deadline: "paused" while waiting on the applicant, else the date."""
    if case.is_final:
        return ""
    if case.clock_paused:
        return _("paused (waiting for you since %(since)s)") % {"since": case.paused_since}
    return case.deadline.isoformat() if case.deadline else ""


def open_rectifications(district) -> QuerySet[RectificationTask]:
    return (
        RectificationTask.objects.filter(status=RectificationStatus.OPEN, case__district=district)
        .select_related("case", "case__service", "rating")
        .order_by("due_on", "pk")
    )


def overdue_rectifications(today: dt.date) -> QuerySet[RectificationTask]:
    """Open tasks whose due date has passed (a task due today is not overdue yet)."""
    return (
        RectificationTask.objects.filter(status=RectificationStatus.OPEN, due_on__lt=today)
        .select_related("case")
        .order_by("due_on", "pk")
    )


def cases_whose_deadline_spans(day: dt.date) -> QuerySet[Case]:
    """Running cases (not final, clock not paused) for which ``day`` counts or could count towards the
    deadline: accepted before it, due on or after it. A change to whether ``day`` is a working day moves
    their deadline; no other case's. A case without promised working days has a deadline its service
    set (a bill's due date), which the calendar does not move."""
    return Case.objects.exclude(status__in=FINAL_STATUSES).filter(
        paused_since__isnull=True, accepted_on__lt=day, deadline__gte=day, promised_days__gt=0
    )


# --- one status truth: what every page and the API show of a case ------------------------------------


def _today() -> dt.date:
    from portal.cases import services  # late: tests set "today" on the services module

    return services.local_today()


@dataclass(frozen=True)
class CaseSummary:
    """What a case shows wherever it is listed or opened — "my cases", the staff queue, the API, the
    service's own application page — worked out once by :func:`case_summary`.

    ``deadline`` is the promised date while one is running: None once the case is closed, once the
    service has decided (a qualified enrollment waiting for the allocation), and while the clock is paused
    waiting for the applicant (``paused_since`` is then set; the date moves when the clock resumes).
    For a bill's own case it is the bill's due date (缴费期限)."""

    case: Case
    reference_no: str
    service_code: str
    service_name: str
    status: str
    status_label: str
    service_status: str
    service_status_label: str
    decided: bool
    deadline: dt.date | None
    paused_since: dt.date | None
    overdue: bool
    next_step: str
    link: str
    accepted_on: dt.date
    closed: bool
    closed_at: dt.datetime | None

    @property
    def label(self) -> str:
        """办理中 · 符合条件: the coarse status and, where it says more, the service's own."""
        if self.service_status_label and self.service_status_label != self.status_label:
            return f"{self.status_label} · {self.service_status_label}"
        return self.status_label

    @property
    def deadline_text(self) -> str:
        if self.closed:
            return _("Closed")
        if self.decided:
            return _("Decided; no deadline running")
        if self.paused_since:
            return _("Paused since %(since)s (waiting for the applicant)") % {
                "since": self.paused_since.isoformat()
            }
        return self.deadline.isoformat() if self.deadline else "—"


def case_summary(case: Case, *, user=None, today: dt.date | None = None) -> CaseSummary:
    """The status, deadline, next step and link of ``case`` — the one function every view asks."""
    today = today or _today()
    view = registry.case_view(case.service.code)
    own = None
    if view is not None and view.status is not None:
        try:
            own = view.status(case)
        except ObjectDoesNotExist:  # the service's row is not there (yet): the coarse status only
            own = None
    link = None
    if view is not None and view.link is not None:
        try:
            link = view.link(case, user)
        except ObjectDoesNotExist:
            link = None
    closed = case.status in FINAL_STATUSES
    decided = bool(own and own.decided) and not closed
    paused = None if closed or decided else case.paused_since
    deadline = None if closed or decided or paused else case.deadline
    return CaseSummary(
        case=case,
        reference_no=case.reference_no,
        service_code=case.service.code,
        service_name=case.service.name,
        status=case.status,
        status_label=str(CaseStatus(case.status).label),
        service_status=own.code if own else "",
        service_status_label=str(own.label) if own else "",
        decided=decided,
        deadline=deadline,
        paused_since=paused,
        overdue=bool(deadline and deadline < today),
        next_step="" if closed else case.next_step,
        link=link or reverse("cases:case_detail", args=[case.reference_no]),
        accepted_on=case.accepted_on,
        closed=closed,
        closed_at=case.closed_at,
    )


def with_case_views(qs: QuerySet[Case]) -> QuerySet[Case]:
    """``qs`` with what the registered case views read, so a page of summaries costs a fixed number of
    queries whatever the services."""
    selected, prefetched = registry.related_paths()
    return qs.select_related("service", *selected).prefetch_related(*prefetched)


def my_cases(user, *, show: str = "all") -> QuerySet[Case]:
    """The signed-in person's cases of every service (staff: the cases in their scope), newest first;
    ``show`` is ``all``, ``open`` or ``closed``."""
    qs = cases_for_user(user)
    if show == "open":
        qs = qs.exclude(status__in=FINAL_STATUSES)
    elif show == "closed":
        qs = qs.filter(status__in=FINAL_STATUSES)
    return with_case_views(qs).order_by("-submitted_at", "-pk")


def staff_queue(user, *, service: str = "", status: str = "", today: dt.date | None = None) -> QuerySet[Case]:
    """One queue across services for staff: the open cases in their scope (school, district or
    department, as :mod:`portal.cases.scoping` says), overdue first, then the soonest deadline; cases
    whose clock is paused or whose service has decided come after those with a running deadline.
    ``service`` (a catalogue code) and ``status`` (a coarse status) narrow it; a final ``status`` lists
    those closed cases instead."""
    today = today or _today()
    qs = cases_for_user(user)
    qs = qs.filter(status=status) if status else qs.exclude(status__in=FINAL_STATUSES)
    if service:
        qs = qs.filter(service__code=service.upper())
    running = Q(deadline__isnull=False, paused_since__isnull=True) & ~registry.decided_q()
    running &= ~Q(status__in=FINAL_STATUSES)
    qs = qs.annotate(
        overdue=CaseWhen(When(running & Q(deadline__lt=today), then=Value(0)), default=Value(1)),
        due_rank=CaseWhen(When(running, then=Value(0)), default=Value(1)),
    )
    return with_case_views(qs).order_by(
        "overdue", "due_rank", F("deadline").asc(nulls_last=True), "submitted_at", "pk"
    )
