"""What enrollment registers with the kernel: its service items and its typed event actions."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.cases.actions import register_actions
from portal.catalog.registry import claim

PRIMARY_JUNIOR_ITEM = "ENR"  # 义务教育入学（入学一件事）
KINDERGARTEN_ITEM = "KGE"  # 幼儿园入园


def service_code_for(stage: str) -> str:
    return KINDERGARTEN_ITEM if stage == "kindergarten" else PRIMARY_JUNIOR_ITEM


class EnrollmentAction(models.TextChoices):
    AUTHORISED = "enrollment.authorised", _("Look-ups authorised")
    VERIFICATION_QUEUED = "enrollment.verification_queued", _("Automatic checks queued")
    CHECKED = "enrollment.checked", _("Automatic checks done")
    WAITING_REGISTRY = "enrollment.waiting_registry", _("Waiting for a registry")
    QUALIFIED = "enrollment.qualified", _("Qualified (秒批)")
    SENT_TO_REVIEW = "enrollment.sent_to_review", _("Sent to review")
    APPROVED = "enrollment.approved", _("Approved")
    REJECTED = "enrollment.rejected", _("Rejected")
    SUPPLEMENT_REQUESTED = "enrollment.supplement_requested", _("Supplement requested (容缺)")
    SUPPLEMENT_RECEIVED = "enrollment.supplement_received", _("Supplement received")
    WITHDRAWN = "enrollment.withdrawn", _("Withdrawn")
    ORIGINALS_SEEN = "enrollment.originals_seen", _("Originals checked at the counter")
    ADMITTED = "enrollment.admitted", _("Admitted")


def forbidden_message(application, by, action: str) -> str:
    """Which part of the permission failed: the applicant's actions, the reviewer's role, or the scope
    (checked before the state, so that staff outside the scope learn nothing about the application)."""
    if action in ("withdraw", "receive_supplement"):
        if action == "withdraw":
            return _("Only the applicant can withdraw the application.")
        return _("Only the applicant can supply the material.")
    if by is None or by.role not in ("clerk", "bureau") and not by.is_superuser:
        return _("Only school clerks and bureau staff review applications.")
    return _("This application is outside your school or district.")


def _register_workflow() -> None:
    from enrollment.models import Application, State
    from portal.cases import workflow

    closes = {State.REJECTED: "reject", State.WITHDRAWN: "withdraw", State.ADMITTED: "complete"}

    def case_status(application, from_state: str, to_state: str) -> str | None:
        if to_state in closes:
            return closes[to_state]
        return "start_processing"  # any other step takes the case up (a no-op once it is in progress)

    workflow.register(
        Application,
        events={
            "qualify_automatically": EnrollmentAction.QUALIFIED,
            "send_to_review": EnrollmentAction.SENT_TO_REVIEW,
            "approve": EnrollmentAction.APPROVED,
            "reject": EnrollmentAction.REJECTED,
            "request_supplement": EnrollmentAction.SUPPLEMENT_REQUESTED,
            "receive_supplement": EnrollmentAction.SUPPLEMENT_RECEIVED,
            "withdraw": EnrollmentAction.WITHDRAWN,
            "admit": EnrollmentAction.ADMITTED,
        },
        verbs={
            "qualify_automatically": _("qualified"),
            "send_to_review": _("sent to review"),
            "approve": _("approved"),
            "reject": _("rejected"),
            "request_supplement": _("sent back for a supplement"),
            "receive_supplement": _("given a supplement"),
            "withdraw": _("withdrawn"),
            "admit": _("admitted"),
        },
        reference=lambda application: _("Application %(ref)s") % {"ref": application.case.reference_no},
        case=lambda application: application.case,
        forbidden=forbidden_message,
        select_related=("case", "case__service", "guardian"),
        case_status=case_status,
    )


claim(PRIMARY_JUNIOR_ITEM, "enrollment")
claim(KINDERGARTEN_ITEM, "enrollment")
register_actions(EnrollmentAction)
_register_workflow()
from enrollment import archive as _archive  # noqa: E402, F401 - registers the archive document provider
