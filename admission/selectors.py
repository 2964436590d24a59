"""Reads: rounds in a user's scope, the public notice of a school (masked), run progress."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q

from admission.models import AdmissionRound, AllocationRun, Placement, PlacementState, SeatLedger
from admission.services import is_district_bureau
from portal.cases import services as cases
from portal.core import pii
from portal.notices.models import Objection, ObjectionState


def rounds_for(user):
    qs = AdmissionRound.objects.select_related("district")
    if user.is_superuser:
        return qs
    return qs.filter(district_id=user.district_id) if user.district_id else qs.none()


def round_stats(round_: AdmissionRound) -> dict:
    counts = dict(
        Placement.objects.filter(round=round_)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    ledgers = SeatLedger.objects.filter(
        school__district=round_.district, school__stage=round_.stage, year=round_.year
    )
    agg = list(ledgers.values_list("seats", "taken"))
    return {
        "on_notice": counts.get(PlacementState.ON_NOTICE, 0),
        "final": counts.get(PlacementState.FINAL, 0),
        "revoked": counts.get(PlacementState.REVOKED, 0),
        "schools": len(agg),
        "seats": sum(s for s, _t in agg),
        "taken": sum(t for _s, t in agg),
        "open_objections": round_objections(round_).filter(state=ObjectionState.OPEN).count(),
    }


def round_objections(round_: AdmissionRound):
    """The kernel objections to the round's public notices (one notice per school)."""
    from admission.notices import source_for

    return Objection.objects.filter(notice__source=source_for(round_)).select_related(
        "case", "notice", "entry"
    )


def run_progress(run: AllocationRun) -> dict:
    """The JSON the bureau page polls."""
    return {
        "id": run.pk,
        "dry_run": run.dry_run,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "phase": run.phase,
        "phase_label": str(run.get_phase_display()),
        "progress": run.progress,
        "applicants": run.applicants,
        "finished": run.is_finished,
        "counts": (run.summary or {}).get("counts"),
        "result_sha256": run.result_sha256,
        "error": run.error,
    }


@dataclass(frozen=True)
class NoticeEntry:
    entry_no: int
    masked_name: str
    masked_id: str
    tier: str
    how: str
    how_label: str
    state: str


def open_notices(*, today=None):
    """Schools whose public notice is running (placements on notice), with the notice's last day."""
    today = today or cases.local_today()
    return (
        Placement.objects.filter(state=PlacementState.ON_NOTICE)
        .values("school__code", "school__name", "year", "round__stage", "round__district__name")
        .annotate(entries=Count("pk"), until=Max("notice_until"), since=Min("notice_from"))
        .order_by("round__district__name", "round__stage", "school__code")
    )


def school_notice(*, school, year: int) -> tuple[list[NoticeEntry], dict]:
    """The masked public notice (公示) of ``school`` for ``year``: every placement on notice or final,
    by seat number, with the child's name masked (张*明) and ID number masked (first 3 + last 4)."""
    placements = (
        Placement.objects.filter(school=school, year=year)
        .filter(Q(state=PlacementState.ON_NOTICE) | Q(state=PlacementState.FINAL))
        .select_related("application", "round", "run")
        .order_by("seat_no")
    )
    entries, rounds, runs, until = [], set(), set(), None
    for p in placements:
        app = p.application
        entries.append(
            NoticeEntry(
                entry_no=p.seat_no,
                masked_name=pii.mask_name(app.child_name),
                masked_id=pii.mask_id(app.child_id_number),
                tier=app.category,
                how=p.how,
                how_label=str(p.get_how_display()),
                state=p.state,
            )
        )
        rounds.add(p.round)
        if p.run_id:
            runs.add(p.run)
        if p.state == PlacementState.ON_NOTICE:
            until = max(until, p.notice_until) if until else p.notice_until
    round_ = next(iter(rounds)) if rounds else None
    return entries, {
        "round": round_,
        "runs": sorted(runs, key=lambda r: r.pk),
        "objections_until": until,
        "open": until is not None and until >= cases.local_today(),
    }


def may_run_round(user, round_: AdmissionRound) -> bool:
    return is_district_bureau(user, round_.district_id)
