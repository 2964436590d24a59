"""What student aid registers with the kernel: its service item (AID), typed event actions and the
workflow of its applications."""

from django.db import models
from django.utils.translation import gettext_lazy as _

ITEM = "AID"  # 学生资助 (in the bureau's standard list)


class AidAction(models.TextChoices):
    AUTHORISED = "aid.authorised", _("Look-ups authorised")
    CHECKED = "aid.checked", _("Automatic checks done")
    REGISTRY_WAITING = "aid.registry_waiting", _("Waiting for a registry to answer")
    SENT_TO_SCHOOL = "aid.sent_to_school", _("Sent to the school's review")
    OPENED_FROM_INVITATION = "aid.opened_from_invitation", _("Opened from an invitation (应助尽助)")
    APPROVED = "aid.approved", _("Approved")
    REJECTED = "aid.rejected", _("Rejected")
    LEVEL_CHANGED = "aid.level_changed", _("Level changed by the school")
    NOTICE_CLOSED = "aid.notice_closed", _("Public notice over; to the bureau")
    OBJECTION_UPHELD = "aid.objection_upheld", _("Objection upheld; to the bureau")
    WITHDRAWN = "aid.withdrawn", _("Withdrawn")
    IN_BATCH = "aid.in_batch", _("Put in a disbursement batch")
    PAYMENT_FAILED = "aid.payment_failed", _("Payment failed at the bank")
    PAID = "aid.paid", _("Paid")


SCHOOL_ACTIONS = ("approve", "reject")


def forbidden_message(application, by, action: str) -> str:
    if action == "withdraw":
        return str(_("Only the guardian who applied can withdraw."))
    if action in SCHOOL_ACTIONS:
        if application.state == "awaiting_bureau":
            return str(_("Only bureau staff of the district decide after the public notice."))
        return str(_("Only the clerks of the student's school review aid applications."))
    return str(_("Only the portal itself takes this step."))


def _case_status(application, from_state: str, to_state: str) -> str | None:
    closes = {"rejected": "reject", "withdrawn": "withdraw", "paid": "complete"}
    if to_state in closes:
        return closes[to_state]
    if to_state == "awaiting_school":
        return "start_processing"
    return None


def register_workflow() -> None:
    from aid.models import AidApplication
    from portal.cases import workflow

    workflow.register(
        AidApplication,
        events={
            "send_to_school": AidAction.SENT_TO_SCHOOL,
            "approve": AidAction.APPROVED,
            "reject": AidAction.REJECTED,
            "close_notice": AidAction.NOTICE_CLOSED,
            "uphold_objection": AidAction.OBJECTION_UPHELD,
            "withdraw": AidAction.WITHDRAWN,
            "mark_paid": AidAction.PAID,
        },
        verbs={
            "send_to_school": _("sent to the school"),
            "approve": _("approved"),
            "reject": _("rejected"),
            "close_notice": _("sent to the bureau"),
            "uphold_objection": _("sent to the bureau"),
            "withdraw": _("withdrawn"),
            "mark_paid": _("paid"),
        },
        reference=lambda a: _("Application %(ref)s") % {"ref": a.case.reference_no},
        case=lambda a: a.case,
        forbidden=forbidden_message,
        select_related=("case", "case__service", "scheme", "school", "level", "guardian"),
        case_status=_case_status,
        event_data=lambda a: {"level": a.level.name if a.level_id else ""},
    )
