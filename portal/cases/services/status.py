"""The coarse status of a case, a workflow of its own on the kernel's perform."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.cases import workflow
from portal.cases.actions import CaseAction
from portal.cases.models import (
    Case,
)
from portal.cases.services import common
from portal.cases.services.clock import _close_open_pause
from portal.cases.services.common import _notify_applicant
from portal.cases.services.events import case_log_event
from portal.cases.signals import case_closed

CASE_TRANSITIONS = {
    "start_processing": gettext_lazy("taken up"),
    "complete": gettext_lazy("completed"),
    "reject": gettext_lazy("rejected"),
    "withdraw": gettext_lazy("withdrawn"),
}


# --- status -------------------------------------------------------------------------------------------


def case_transition(*, case: Case, transition: str, by, note: str = "") -> Case:
    """Run one coarse-status transition of the case (start_processing / complete / reject / withdraw)
    through :func:`portal.cases.workflow.perform`.

    Refused with :class:`ActionNotAllowed` when the status does not allow it, ``PermissionDenied``
    when ``by`` may not trigger it (see docs/workflows/cases.md; ``by=None`` is the system). A final
    status stamps ``closed_at``, ends a running clock pause and sends :data:`portal.cases.signals.case_closed`
    (the archive packages the case after commit). The applicant gets a message."""
    if transition not in CASE_TRANSITIONS:
        raise ValueError(f"unknown case transition {transition!r}; one of {sorted(CASE_TRANSITIONS)}")
    return workflow.perform(case, transition, by=by, note=note)


def _case_closing(case: Case, from_state: str, by, note: str) -> None:
    """The Case workflow's ``prepare``: a final status stamps ``closed_at`` and ends a running pause."""
    if not case.is_final:
        return
    case.closed_at = timezone.now()
    days, pause = _close_open_pause(case, common.local_today())
    if pause is not None:
        case_log_event(
            case=case,
            action=CaseAction.CLOCK_RESUMED,
            by=by,
            note=_("The case was closed."),
            data={"working_days": days, "deadline": case.deadline.isoformat()},
        )


def _case_status_changed(case: Case, from_state: str, by, note: str) -> None:
    """The Case workflow's ``after``: the applicant is told; a closed case is announced."""
    status = case.get_status_display()
    body = _("%(service)s, case %(reference_no)s: the status is now %(status)s.") % {
        "service": case.service.name,
        "reference_no": case.reference_no,
        "status": status,
    }
    if note:
        body += "\n" + note
    _notify_applicant(
        case,
        subject=_("Your case %(reference_no)s is now %(status)s")
        % {"reference_no": case.reference_no, "status": status},
        body=body,
    )
    if case.is_final:
        case_closed.send(sender=Case, case=case, status=case.status)


def register_case_workflow() -> None:
    """The coarse status of every case is a workflow of its own (from CasesConfig.ready)."""
    workflow.register(
        Case,
        events=dict.fromkeys(CASE_TRANSITIONS, CaseAction.STATUS_CHANGED),
        verbs=CASE_TRANSITIONS,
        reference=lambda case: _("Case %(reference_no)s") % {"reference_no": case.reference_no},
        case=lambda case: case,
        forbidden=gettext_lazy("You may not change the status of this case."),
        select_related=("service",),
        state_field="status",
        prepare=_case_closing,
        after=_case_status_changed,
    )
