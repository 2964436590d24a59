"""Admission on the kernel's public notices (公示, portal.notices; ADR 0015): each school's placements of a
draw are published as one kernel notice (source ``admission-round:<id>``), entries masked, numbered by
seat; an upheld objection to an entry revokes that placement (registered in AdmissionConfig.ready)."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from admission.models import AdmissionRound, Placement, PlacementState
from enrollment.catalogue import service_code_for
from portal.notices import selectors as notice_selectors
from portal.notices import services as notices
from portal.notices.models import Notice, NoticeEntry, NoticeStatus

SOURCE = "admission-round:"


def source_for(round_: AdmissionRound) -> str:
    return f"{SOURCE}{round_.pk}"


def _entry_fields(p: Placement) -> dict:
    app = p.application
    return {
        "name": app.child_name,
        "school": p.school.name,
        "entry_no": p.seat_no,
        "stage": app.stage,
        "how": str(p.get_how_display()),
        "tier": app.category,
    }


def publish(*, round_: AdmissionRound, placements, by=None) -> list[Notice]:
    """Publish ``placements`` (on notice, of ``round_``) as one kernel notice per school, for the
    round's notice period. A round with no notice days publishes nothing (the admission is final)."""
    if not round_.notice_working_days:
        return []
    by_school: dict[int, list[Placement]] = defaultdict(list)
    for p in placements:
        by_school[p.school_id].append(p)
    published = []
    for group in by_school.values():
        school = group[0].school
        published.append(
            notices.notice_publish(
                service=service_code_for(round_.stage),
                title=_("Admission list %(year)s: %(school)s") % {"year": round_.year, "school": school.name},
                entries=[
                    (p.application.case, _entry_fields(p)) for p in sorted(group, key=lambda p: p.seat_no)
                ],
                period_working_days=round_.notice_working_days,
                by=by,
                district=round_.district,
                school=school,
                starts_on=group[0].notice_from,
                source=source_for(round_),
            )
        )
    return published


def publish_run(*, round_: AdmissionRound, run) -> list[Notice]:
    placements = (
        Placement.objects.filter(run=run, state=PlacementState.ON_NOTICE)
        .select_related("school", "application", "application__case")
        .order_by("school_id", "seat_no")
    )
    return publish(round_=round_, placements=placements)


def open_notice_for(school, *, today=None) -> Notice | None:
    """The admission notice of ``school`` that takes objections today (the latest), or None."""
    return (
        notice_selectors.running_notices(today=today)
        .filter(school=school, source__startswith=SOURCE)
        .order_by("-ends_on", "-pk")
        .first()
    )


def entry_numbered(notice: Notice, entry_no: int) -> NoticeEntry | None:
    return notice.entries.filter(position=entry_no).first()


def round_notices(round_: AdmissionRound):
    return Notice.objects.filter(source=source_for(round_), status=NoticeStatus.PUBLISHED)


def on_objection_upheld(objection, *, by) -> None:
    """An upheld objection to an entry revokes that entry's placement, if it is still on notice (the seat
    goes back to the school). An objection to the notice as a whole leaves the placements to the bureau."""
    from admission.services import placement_revoke

    if objection.entry_id is None:
        return
    placement = (
        Placement.objects.filter(application__case_id=objection.entry.case_id, state=PlacementState.ON_NOTICE)
        .select_related("school")
        .first()
    )
    if placement is None:
        return
    reference = objection.case.reference_no if objection.case_id else str(objection.pk)
    placement_revoke(
        placement=placement,
        by=by,
        reason=_("Revoked after objection %(ref)s: %(note)s") % {"ref": reference, "note": objection.answer},
    )
