"""Reading cases (HackSoft style: services write, selectors read). Every read of a case for a user goes
through :mod:`portal.cases.scoping`."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from portal.cases.actions import label_for
from portal.cases.models import FINAL_STATUSES, Case, CaseEvent, RectificationStatus, RectificationTask
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
    their deadline; no other case's."""
    return Case.objects.exclude(status__in=FINAL_STATUSES).filter(
        paused_since__isnull=True, accepted_on__lt=day, deadline__gte=day
    )
