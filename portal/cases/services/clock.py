"""The promised-time clock: pauses while waiting on the applicant, deadlines worked out again."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.cases import workdays, workflow
from portal.cases.actions import CaseAction
from portal.cases.models import (
    Case,
    ClockPause,
)
from portal.cases.scoping import is_applicant
from portal.cases.services import common
from portal.cases.services.common import (
    _notify_applicant,
    compute_deadline,
)
from portal.cases.services.events import case_log_event
from portal.cases.workflow import ActionNotAllowed


def _close_open_pause(case: Case, today: dt.date) -> tuple[int, ClockPause | None]:
    """End the open pause: count its working days [start, today) into the case and move the deadline."""
    pause = ClockPause.objects.select_for_update().filter(case=case, ended_on__isnull=True).first()
    case.paused_since = None
    if pause is None:
        return 0, None
    days = workdays.working_days_between(pause.started_on, today)
    pause.ended_on, pause.working_days = today, days
    pause.save(update_fields=["ended_on", "working_days"])
    case.paused_working_days += days
    case.deadline = compute_deadline(case)
    return days, pause


# --- the promised-time clock --------------------------------------------------------------------------


def case_pause_clock(*, case: Case, by, reason: str) -> Case:
    """Stop the clock while waiting on the applicant (e.g. a material to supplement, 补正). Handling staff
    or the system only."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say what the applicant needs to do.")]})
    with transaction.atomic():
        locked = workflow.lock(case)
        if locked.is_final:
            raise ActionNotAllowed(
                _("Case %(reference_no)s is closed; its clock cannot be paused.")
                % {"reference_no": locked.reference_no},
                code="final",
            )
        if locked.clock_paused:
            raise ActionNotAllowed(
                _("The clock of case %(reference_no)s is already paused (since %(since)s).")
                % {"reference_no": locked.reference_no, "since": locked.paused_since},
                code="paused",
            )
        if not locked.may_process(by):
            raise PermissionDenied(_("Only staff handling this case may pause its clock."))
        today = common.local_today()
        ClockPause.objects.create(case=locked, started_on=today, reason=reason[:300])
        locked.paused_since = today
        locked.save(update_fields=["paused_since"])
        case_log_event(
            case=locked,
            action=CaseAction.CLOCK_PAUSED,
            by=by,
            note=reason,
            data={"since": today.isoformat()},
        )
        _notify_applicant(
            locked,
            subject=_("Case %(reference_no)s is waiting for you") % {"reference_no": locked.reference_no},
            body=_("%(reason)s\nThe processing time is paused until then.") % {"reason": reason},
        )
    return workflow.refreshed(case, locked)


def case_recompute_deadline(*, case: Case, note: str = "") -> bool:
    """Work a running case's deadline out again from the working-day calendar as it now stands — after
    bureau staff entered public holidays or make-up working days (调休) for dates inside its window. A
    change is written to the trace (``deadline_changed``, old and new date) and shown to the applicant
    with the case. A final case, or one whose clock is paused (its deadline moves on resume), is left
    alone. True when the deadline moved."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if locked.is_final or locked.clock_paused or locked.deadline is None or not locked.promised_days:
            return False  # no promised working days: the deadline is not the calendar's (case_set_deadline)
        previous, deadline = locked.deadline, compute_deadline(locked)
        if deadline == previous:
            return False
        Case.objects.filter(pk=locked.pk).update(deadline=deadline)
        locked.deadline = deadline
        case_log_event(
            case=locked,
            action=CaseAction.DEADLINE_CHANGED,
            note=note,
            data={"previous_deadline": previous.isoformat(), "deadline": deadline.isoformat()},
        )
    workflow.refreshed(case, locked)
    return True


def case_resume_clock(*, case: Case, by, note: str = "") -> Case:
    """Restart the clock: the working days in [pause start, today) are added to the case's paused days
    and the deadline moves by exactly that many working days. Handling staff, the applicant (having
    supplied what was asked) or the system."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if locked.is_final:
            raise ActionNotAllowed(
                _("Case %(reference_no)s is closed; its clock cannot be resumed.")
                % {"reference_no": locked.reference_no},
                code="final",
            )
        if not locked.clock_paused:
            raise ActionNotAllowed(
                _("The clock of case %(reference_no)s is running; there is no pause to end.")
                % {"reference_no": locked.reference_no},
                code="running",
            )
        if not (locked.may_process(by) or is_applicant(by, locked)):
            raise PermissionDenied(_("You may not resume the clock of this case."))
        previous = locked.deadline
        days, _pause = _close_open_pause(locked, common.local_today())
        locked.save(update_fields=["paused_since", "paused_working_days", "deadline"])
        case_log_event(
            case=locked,
            action=CaseAction.CLOCK_RESUMED,
            by=by,
            note=note,
            data={
                "working_days": days,
                "previous_deadline": previous.isoformat() if previous else None,
                "deadline": locked.deadline.isoformat(),
            },
        )
        _notify_applicant(
            locked,
            subject=_("Case %(reference_no)s is being processed again")
            % {"reference_no": locked.reference_no},
            body=_("The promised decision date is now %(deadline)s.") % {"deadline": locked.deadline},
        )
    return workflow.refreshed(case, locked)


def case_restart_clock(*, case: Case, by=None, note: str = "") -> Case:
    """Start the promised working days again from today: the case moved on to a new step that is
    promised the same time as the first (a transfer's receiving school, sending school and bureau each
    have 10 working days). The deadline becomes today plus the promised working days on the kernel's
    calendar, and later calendar changes or pauses move it from there (``clock_started_on``). Written to
    the trace (``clock_restarted``: old and new deadline); the applicant sees the new date with the case.

    Only for a running case with promised working days; a paused clock restarts when it resumes, so the
    restart is refused then (the caller resumes first). The calling service has decided who acts (it
    restarts the clock inside its own action); ``by`` only labels the event."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if locked.is_final:
            raise ActionNotAllowed(
                _("Case %(reference_no)s is closed; its clock cannot be restarted.")
                % {"reference_no": locked.reference_no},
                code="final",
            )
        if not locked.promised_days:
            raise ValueError("a case without promised working days has no clock to restart")
        if locked.clock_paused:
            raise ActionNotAllowed(
                _("The clock of case %(reference_no)s is paused (since %(since)s); resume it first.")
                % {"reference_no": locked.reference_no, "since": locked.paused_since},
                code="paused",
            )
        previous = locked.deadline
        locked.clock_started_on = common.local_today()
        locked.deadline = compute_deadline(locked)
        locked.save(update_fields=["clock_started_on", "deadline"])
        case_log_event(
            case=locked,
            action=CaseAction.CLOCK_RESTARTED,
            by=by,
            note=note,
            data={
                "since": locked.clock_started_on.isoformat(),
                "previous_deadline": previous.isoformat() if previous else None,
                "deadline": locked.deadline.isoformat(),
            },
        )
    return workflow.refreshed(case, locked)
