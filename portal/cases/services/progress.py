"""Visits, the school a case belongs to, the next step and a deadline the service sets."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from portal.cases import workflow
from portal.cases.actions import CaseAction
from portal.cases.models import (
    Case,
)
from portal.cases.services.events import case_log_event

# --- visits and next step -----------------------------------------------------------------------------


def case_record_visit(*, case: Case, by, note: str = "") -> Case:
    """Count one visit of the applicant to an office (跑动次数) for the reform figures."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if not locked.may_process(by):
            raise PermissionDenied(_("Only staff handling this case may record a visit."))
        Case.objects.filter(pk=locked.pk).update(visits=F("visits") + 1)
        locked.refresh_from_db(fields=["visits"])
        case_log_event(
            case=locked, action=CaseAction.VISIT_RECORDED, by=by, note=note, data={"visits": locked.visits}
        )
    return workflow.refreshed(case, locked)


def case_assign_school(*, case: Case, school, by=None, note: str = "") -> Case:
    """Make ``school`` responsible for the case (its clerks then see it). System or district staff only."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if by is not None and not locked.may_process(by):
            raise PermissionDenied(_("Only staff handling this case may assign it."))
        if school is not None and school.district_id != locked.district_id:
            raise ValidationError({"school": [_("The school is not in the case's district.")]})
        if locked.school_id == getattr(school, "pk", None):
            return workflow.refreshed(case, locked)
        previous = locked.school.code if locked.school_id else ""
        locked.school = school
        locked.save(update_fields=["school"])
        case_log_event(
            case=locked,
            action=CaseAction.ASSIGNED,
            by=by,
            note=note,
            data={"from": previous, "to": school.code if school else ""},
        )
    return workflow.refreshed(case, locked)


def case_set_next_step(*, case: Case, text: str) -> Case:
    """What the applicant should expect or do next, shown on "my cases" (service apps keep it current
    beside their own events, so this writes no event of its own)."""
    text = (text or "").strip()
    max_length = Case._meta.get_field("next_step").max_length
    if len(text) > max_length:
        raise ValidationError({"next_step": [_("Keep it under %(n)d characters.") % {"n": max_length}]})
    Case.objects.filter(pk=case.pk).update(next_step=text)
    case.next_step = text
    return case


def case_set_deadline(*, case: Case, deadline: dt.date) -> Case:
    """The deadline a service sets itself, for a case with no promised working days (a bill's own case is
    due when the bill is: its 缴费期限). No event: it is set with the case's first writes."""
    if case.promised_days:
        raise ValueError("a case with promised working days has its deadline from the calendar")
    Case.objects.filter(pk=case.pk).update(deadline=deadline)
    case.deadline = deadline
    return case
