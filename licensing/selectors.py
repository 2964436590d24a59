"""Reads: the applications a user may see, a department's queue, the public lists and inspections."""

from django.db.models import Prefetch
from django.http import Http404

from licensing.models import (
    Application,
    CampaignState,
    DepartmentReview,
    Inspection,
    InspectionCampaign,
    ListEntry,
    ListKind,
)
from portal.cases.models import CaseEvent
from portal.cases.scoping import scope_cases
from portal.cases.services import local_today
from portal.core import pii


def applications_for_user(user):
    qs = Application.objects.select_related(
        "case", "case__service", "case__district", "applicant", "institution"
    ).prefetch_related(
        Prefetch("reviews", queryset=DepartmentReview.objects.select_related("department")),
        Prefetch("case__events", queryset=CaseEvent.objects.order_by("seq")),
    )
    return scope_cases(user, qs, case_path="case").order_by("-created_at", "-pk")


def application_for_user(user, reference_no: str) -> Application:
    application = applications_for_user(user).filter(case__reference_no=reference_no).first()
    if application is None:
        raise Http404
    return application


def department_queue(user):
    """The reviews of the reviewer's department, pending first, soonest due first."""
    return (
        DepartmentReview.objects.filter(department_id=user.department_id)
        .select_related("application", "application__case", "department")
        .order_by("state", "due_on", "pk")
    )


def _entry(entry: ListEntry) -> dict:
    return {
        "name": pii.mask_name(entry.name) if entry.sponsor_id_hash and not entry.credit_code else entry.name,
        "credit_code": entry.credit_code,
        "reason": entry.reason,
        "source": entry.source,
        "starts_on": entry.starts_on.isoformat(),
        "ends_on": entry.ends_on.isoformat() if entry.ends_on else None,
    }


def public_lists(today=None) -> dict:
    """``{"white": […], "black": […]}``: the entries in force today (sponsors by masked name only)."""
    today = today or local_today()
    entries = ListEntry.objects.filter(starts_on__lte=today).exclude(ends_on__lt=today)
    return {
        kind: [_entry(e) for e in entries.filter(list_kind=kind).order_by("-starts_on", "pk")]
        for kind in (ListKind.WHITE, ListKind.BLACK)
    }


def published_inspections() -> list[dict]:
    """The published campaigns with their seed (to recompute the draw) and results."""
    campaigns = InspectionCampaign.objects.filter(state=CampaignState.PUBLISHED).order_by("-published_at")
    inspections = Inspection.objects.select_related("institution").prefetch_related("inspectors")
    rows = []
    for campaign in campaigns.prefetch_related(Prefetch("inspections", queryset=inspections), "inspectors"):
        rows.append(
            {
                "id": campaign.pk,
                "name": campaign.name,
                "share_percent": campaign.share_percent,
                "seed": campaign.seed,
                "drawn_at": campaign.drawn_at.isoformat() if campaign.drawn_at else None,
                "published_at": campaign.published_at.isoformat() if campaign.published_at else None,
                "pool": sorted(i.code for i in campaign.inspectors.all()),
                "population": campaign.population,
                "inspections": [
                    {
                        "credit_code": i.institution.credit_code,
                        "institution": i.institution.name,
                        "inspectors": sorted(x.code for x in i.inspectors.all()),
                        "inspector_names": [x.name for x in sorted(i.inspectors.all(), key=lambda x: x.code)],
                        "result": i.result,
                        "result_label": str(i.get_result_display()),
                        "findings": i.findings,
                        "excluded": i.excluded,
                    }
                    for i in campaign.inspections.all()
                ],
            }
        )
    return rows
