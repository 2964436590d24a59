"""What after-school care registers with the kernel: the ASC service item, its typed event actions and
the workflows of its applications and programmes."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.cases.actions import register_actions
from portal.catalog.registry import claim

ITEM = "ASC"  # 课后托管


class AfterschoolAction(models.TextChoices):
    SEAT_TAKEN = "afterschool.seat_taken", _("Seat taken in the slot")
    WAITLISTED = "afterschool.waitlisted", _("Put on the waitlist")
    APPROVED = "afterschool.approved", _("Approved by the school")
    REJECTED = "afterschool.rejected", _("Rejected by the school")
    PROMOTED = "afterschool.promoted", _("Promoted from the waitlist")
    ENROLLED = "afterschool.enrolled", _("Enrolled (paid)")
    LAPSED = "afterschool.lapsed", _("Bill expired unpaid; seat released")
    WITHDRAWN = "afterschool.withdrawn", _("Withdrawn")
    SLOT_CHANGED = "afterschool.slot_changed", _("Leave-time slot changed")
    SLOT_MOVED = "afterschool.slot_moved", _("Moved to the slot waited for")
    PROGRAM_CLOSED = "afterschool.program_closed", _("Programme closed")
    COLLECTOR_ADDED = "afterschool.collector_added", _("Authorised someone to collect the pupil")
    COLLECTOR_REMOVED = "afterschool.collector_removed", _("Withdrew someone's authorisation to collect")


REVIEW_ACTIONS = ("approve", "reject")
GUARDIAN_ACTIONS = ("change_slot", "withdraw")


def forbidden_message(application, by, action: str) -> str:
    if action in GUARDIAN_ACTIONS:
        return str(_("Only the guardian who applied can do this."))
    if action in REVIEW_ACTIONS:
        return str(_("Only the school's clerks and the district's bureau staff review applications."))
    return str(_("Only the portal itself takes this step."))


def _register_workflow() -> None:
    from afterschool.models import Application, Program, State
    from portal.cases import workflow

    closes = {State.REJECTED: "reject", State.WITHDRAWN: "withdraw", State.ENROLLED: "complete"}

    def case_status(application, from_state: str, to_state: str) -> str | None:
        if to_state in closes:
            return closes[to_state]
        if to_state == State.AWAITING_PAYMENT:
            return "start_processing"
        return None

    workflow.register(
        Application,
        events={
            "approve": AfterschoolAction.APPROVED,
            "reject": AfterschoolAction.REJECTED,
            "promote": AfterschoolAction.PROMOTED,
            "enroll": AfterschoolAction.ENROLLED,
            "lapse": AfterschoolAction.LAPSED,
            "withdraw": AfterschoolAction.WITHDRAWN,
            "change_slot": AfterschoolAction.SLOT_CHANGED,
            "move_to_requested_slot": AfterschoolAction.SLOT_MOVED,
        },
        verbs={
            "approve": _("approved"),
            "reject": _("rejected"),
            "promote": _("promoted from the waitlist"),
            "enroll": _("enrolled"),
            "lapse": _("released for an unpaid bill"),
            "withdraw": _("withdrawn"),
            "change_slot": _("moved to another slot"),
            "move_to_requested_slot": _("moved to another slot"),
        },
        reference=lambda application: _("Application %(ref)s") % {"ref": application.case.reference_no},
        case=lambda application: application.case,
        forbidden=forbidden_message,
        select_related=("case", "case__service", "program", "program__school", "slot", "requested_slot"),
        case_status=case_status,
        event_data=lambda application: {"slot": application.slot.leave_at},
    )
    workflow.register(
        Program,
        events={"close": AfterschoolAction.PROGRAM_CLOSED},
        verbs={"close": _("closed")},
        reference=lambda program: _("Programme %(name)s") % {"name": program.name},
        case=lambda program: None,
        forbidden=_("Only the school's clerks and the district's bureau staff manage its programmes."),
        select_related=("school",),
        state_field="phase",
    )


claim(ITEM, "afterschool")
register_actions(AfterschoolAction)
_register_workflow()
