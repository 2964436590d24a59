"""What licensing registers with the kernel: its service item, typed event actions and workflows."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.catalog.registry import claim

ITEM = "PSL"  # 民办学校审批 (in the bureau's standard list)


class LicensingAction(models.TextChoices):
    AUTHORISED = "licensing.authorised", _("Look-ups authorised")
    CHECKED = "licensing.checked", _("Registry checks done")
    ACCEPTED = "licensing.accepted", _("Accepted (受理)")
    SUPPLEMENTED = "licensing.supplemented", _("Missing materials supplemented")
    SUPPLEMENT_OVERDUE = "licensing.supplement_overdue", _("Supplement overdue")
    DEPARTMENT_APPROVED = "licensing.department_approved", _("Approved by a department")
    DEPARTMENT_REJECTED = "licensing.department_rejected", _("Rejected by a department")
    REVIEW_CANCELLED = "licensing.review_cancelled", _("Department review closed")
    REVIEW_OVERDUE = "licensing.review_overdue", _("Department review overdue")
    SENT_TO_BUREAU = "licensing.sent_to_bureau", _("Sent to the bureau's decision")
    RETURNED = "licensing.returned", _("Returned by the joint review")
    APPROVED = "licensing.approved", _("Approved")
    REJECTED = "licensing.rejected", _("Rejected")
    WITHDRAWN = "licensing.withdrawn", _("Withdrawn")
    LICENCE_ISSUED = "licensing.licence_issued", _("School licence issued")
    LICENCE_REVOKED = "licensing.licence_revoked", _("School licence revoked")
    DELIVERED = "licensing.delivered", _("Licence delivered")
    CAMPAIGN_DRAWN = "licensing.campaign_drawn", _("Inspection draw made")
    CAMPAIGN_PUBLISHED = "licensing.campaign_published", _("Inspection results published")


def application_forbidden(application, by, action: str) -> str:
    if action in ("supplement", "withdraw"):
        return str(_("Only the institution's representative who applied can do this."))
    return str(_("Only bureau staff of the district accept and decide licensing applications."))


def _application_case_status(application, from_state: str, to_state: str) -> str | None:
    from licensing.models import ApplicationState as S
    from licensing.models import Kind

    if to_state == S.REJECTED:
        return "reject"
    if to_state == S.WITHDRAWN:
        return "withdraw"
    if to_state == S.DELIVERED:
        return "complete"
    if to_state == S.APPROVED and application.kind in (Kind.PREPARATION, Kind.TERMINATION):
        return "complete"  # no licence to send: the approval is the end
    if to_state != S.AWAITING_MATERIALS:
        return "start_processing"
    return None


def _register_workflows() -> None:
    from licensing.models import Application, DepartmentReview, InspectionCampaign
    from portal.cases import workflow

    workflow.register(
        Application,
        events={
            "accept": LicensingAction.ACCEPTED,
            "supplement": LicensingAction.SUPPLEMENTED,
            "send_to_bureau": LicensingAction.SENT_TO_BUREAU,
            "reject_by_department": LicensingAction.RETURNED,
            "approve": LicensingAction.APPROVED,
            "reject": LicensingAction.REJECTED,
            "withdraw": LicensingAction.WITHDRAWN,
            "issue_licence": LicensingAction.LICENCE_ISSUED,
            "mark_delivered": LicensingAction.DELIVERED,
        },
        verbs={
            "accept": _("accepted"),
            "supplement": _("supplemented"),
            "send_to_bureau": _("sent to the bureau"),
            "reject_by_department": _("returned"),
            "approve": _("approved"),
            "reject": _("rejected"),
            "withdraw": _("withdrawn"),
            "issue_licence": _("issued a licence"),
            "mark_delivered": _("delivered"),
        },
        reference=lambda a: _("Application %(ref)s") % {"ref": a.case.reference_no},
        case=lambda a: a.case,
        forbidden=application_forbidden,
        select_related=("case", "case__service", "case__district", "applicant", "institution"),
        case_status=_application_case_status,
    )
    workflow.register(
        DepartmentReview,
        events={
            "approve": LicensingAction.DEPARTMENT_APPROVED,
            "reject": LicensingAction.DEPARTMENT_REJECTED,
            "cancel": LicensingAction.REVIEW_CANCELLED,
        },
        verbs={"approve": _("approved"), "reject": _("rejected"), "cancel": _("closed")},
        reference=lambda r: _("The review of %(department)s") % {"department": r.department.name},
        case=lambda r: r.application.case,
        forbidden=_("Only a reviewer of this department can decide its part of the joint review."),
        select_related=("application", "application__case", "department"),
        event_data=lambda r: {"department": r.department.code},
    )
    workflow.register(
        InspectionCampaign,
        events={"mark_drawn": LicensingAction.CAMPAIGN_DRAWN, "publish": LicensingAction.CAMPAIGN_PUBLISHED},
        verbs={"mark_drawn": _("drawn"), "publish": _("published")},
        reference=lambda c: _("Campaign %(name)s") % {"name": c.name},
        case=lambda c: None,  # a campaign is no one's case
        forbidden=_("Only bureau staff run inspection campaigns."),
    )


def register_items() -> None:
    claim(ITEM, "licensing")
