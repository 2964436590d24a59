"""Enrollment's part of the electronic archive: what a closed application's archive document shows
(the form, the evidence summary, the decision) and the same as machine-readable data. Registered with
``archive.registry`` for both enrollment service items; the archive calls it when the case is closed.
ID numbers appear masked: the full ones stay in the (encrypted) application record."""

from archive.registry import ArchiveRecord, register
from enrollment.catalogue import KINDERGARTEN_ITEM, PRIMARY_JUNIOR_ITEM, EnrollmentAction
from enrollment.models import Application, Residence, State, TierRule
from enrollment.views.common import check_rows, stage_label
from exchange.models import Lookup
from portal.core import pii

TEMPLATE = "enrollment/archive_document.html"
DECISIONS = (EnrollmentAction.APPROVED, EnrollmentAction.REJECTED, EnrollmentAction.QUALIFIED)


def _school(school) -> dict:
    return {"code": school.code, "name": school.name} if school is not None else {}


def archive_record(case) -> ArchiveRecord:
    application = (
        Application.objects.select_related("guardian", "zone_school", "school", "sibling__case")
        .prefetch_related("checks")
        .get(case=case)
    )
    tier = (
        TierRule.objects.filter(
            rules__district_id=case.district_id,
            rules__year=application.year,
            rules__stage=application.stage,
            code=application.category,
        )
        .values_list("label", flat=True)
        .first()
        if application.category
        else None
    )
    decision = (
        case.events.filter(action__in=[str(a) for a in DECISIONS])
        .order_by("-seq")
        .values("note", "actor_label")
        .first()
    )
    checks = [
        {k: str(v) for k, v in row.items() if k in ("name", "label", "result", "result_label", "reason")}
        for row in check_rows(application.checks.all())
    ]
    lookups = [
        {
            "registry": str(lookup.source_label),
            "operation": lookup.operation,
            "at": lookup.at.isoformat(timespec="seconds"),
            "subject": lookup.subject_masked,
            "outcome": str(lookup.get_outcome_display()),
            "answer_sha256": lookup.answer_sha256,
        }
        for lookup in Lookup.objects.filter(case=case).order_by("at", "pk")
    ]
    form = {
        "year": application.year,
        "stage": application.stage,
        "stage_label": stage_label(application.stage),
        "child_name": application.child_name,
        "child_id_masked": pii.mask_id(application.child_id_number),
        "guardian": application.guardian.display_name,
        "guardian_id_masked": pii.mask_id(application.guardian.id_number),
        "other_guardian_id_masked": pii.mask_id(application.other_guardian_id_number)
        if application.other_guardian_id_number
        else "",
        "single_parent": application.single_parent,
        "residence": application.residence,
        "residence_label": str(Residence(application.residence).label),
        "sibling_reference_no": application.sibling.case.reference_no if application.sibling_id else "",
        "consent_at": application.consent_at.isoformat(timespec="seconds"),
        "originals_seen": list(application.originals_seen or []),
    }
    outcome = {
        "state": application.state,
        "state_label": str(State(application.state).label),
        "tier": application.category,
        "tier_label": tier or "",
        "points": str(application.points) if application.points is not None else "",
        "zone_school": _school(application.zone_school),
        "admitted_to": _school(application.school),
        "note": (decision or {}).get("note", ""),
        "decided_by": (decision or {}).get("actor_label", ""),
    }
    return ArchiveRecord(
        template_name=TEMPLATE,
        context={
            "form": form,
            "checks": checks,
            "lookups": lookups,
            "outcome": outcome,
            "state_labels": {s.value: str(s.label) for s in State},
        },
        data={"application": form, "checks": checks, "registry_lookups": lookups, "decision": outcome},
        title=f"{application.child_name} {application.year}年{form['stage_label']}入学申请",
    )


register(PRIMARY_JUNIOR_ITEM, archive_record)
register(KINDERGARTEN_ITEM, archive_record)
