"""Objections (异议) to a school's public notice: a guardian raises one within the notice period, which
opens a review case (service item ADO); bureau staff uphold it (and may revoke the contested placement)
or dismiss it. While an objection to a school is open, that school's placements are not made final."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from admission.catalogue import OBJECTION_ITEM, AdmissionAction
from admission.models import Objection, ObjectionState, Placement, PlacementState
from admission.services import ActionNotAllowed, is_district_bureau, placement_revoke
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases.models import Channel
from portal.cases.scoping import can_handle
from portal.catalog.models import ServiceItem
from portal.notify.services import message_send

REASON_MIN, REASON_MAX = 10, 2000


def open_notice_for(school, *, today=None):
    """The round whose public notice of ``school`` accepts objections today, or None."""
    today = today or cases.local_today()
    placement = (
        Placement.objects.filter(school=school, state=PlacementState.ON_NOTICE, notice_until__gte=today)
        .select_related("round")
        .order_by("-notice_until")
        .first()
    )
    return placement.round if placement else None


def objection_submit(*, by: User, school, reason: str, entry_no: int | None = None) -> Objection:
    """A signed-in, real-name-verified guardian objects to ``school``'s public notice (optionally to the
    entry numbered ``entry_no``). Opens a case the district's bureau reviews."""
    if by is None or not by.is_authenticated or by.role != Role.CITIZEN or not by.is_real_name_verified:
        raise PermissionDenied(_("Sign in with your real-name verified account to raise an objection."))
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        errors["reason"] = [
            _("Describe the facts and your reason (at least %(n)d characters).") % {"n": REASON_MIN}
        ]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("Keep it under %(n)d characters.") % {"n": REASON_MAX}]
    round_ = open_notice_for(school)
    if round_ is None:
        errors["school"] = [
            _("%(school)s has no public notice open for objections.") % {"school": school.name}
        ]
    placement = None
    if round_ is not None and entry_no is not None:
        placement = Placement.objects.filter(
            round=round_, school=school, seat_no=entry_no, state=PlacementState.ON_NOTICE
        ).first()
        if placement is None:
            errors["entry_no"] = [
                _("The notice of %(school)s has no entry %(n)s.") % {"school": school.name, "n": entry_no}
            ]
    if errors:
        raise ValidationError(errors)
    service = ServiceItem.objects.get(code=OBJECTION_ITEM)
    with transaction.atomic():
        if Objection.objects.filter(
            case__applicant=by, school=school, round=round_, state=ObjectionState.OPEN
        ).exists():
            raise ActionNotAllowed(
                _("Your objection to this notice is still under review."), code="duplicate"
            )
        case = cases.case_open(
            service=service,
            applicant=by,
            subject_name=_("Public notice of %(school)s") % {"school": school.name},
            channel=Channel.ONLINE,
            district=school.district,
        )
        objection = Objection.objects.create(
            case=case, round=round_, school=school, placement=placement, reason=reason
        )
        cases.case_log_event(
            case=case,
            action=AdmissionAction.OBJECTION_RAISED,
            by=by,
            note=reason,
            data={"school": school.code, "entry": entry_no},
        )
        cases.case_transition(case=case, transition="start_processing", by=None)
        cases.case_set_next_step(
            case=case,
            text=_("The bureau reviews your objection; the school's admissions wait until it decides."),
        )
        for staff in User.objects.filter(role=Role.BUREAU, district_id=school.district_id, is_active=True):
            message_send(
                recipient=staff,
                subject=_("Objection %(ref)s to the notice of %(school)s")
                % {"ref": case.reference_no, "school": school.name},
                body=reason,
                case=case,
            )
    return objection


def objection_decide(
    *, objection: Objection, by: User, uphold: bool, note: str, revoke_placement: bool = False
) -> Objection:
    """Bureau staff decide: uphold (and, if asked, revoke the contested placement, whose seat goes back)
    or dismiss. The objector is told the decision with the note; the case is done."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Give the decision's reasons; the guardian reads them.")]})
    if not is_district_bureau(by, objection.case.district_id) or not can_handle(by, objection.case):
        raise PermissionDenied(_("Only the district's bureau staff decide objections."))
    if revoke_placement and not uphold:
        raise ValidationError({"revoke_placement": [_("Only an upheld objection revokes a placement.")]})
    if revoke_placement and objection.placement_id is None:
        raise ValidationError({"revoke_placement": [_("The objection names no entry of the notice.")]})
    with transaction.atomic():
        locked = Objection.objects.select_for_update(of=("self",)).select_related("case").get(pk=objection.pk)
        if locked.state != ObjectionState.OPEN:
            raise ActionNotAllowed(
                _("Objection %(ref)s is already decided.") % {"ref": locked.case.reference_no}, code="state"
            )
        before = locked.state
        locked.uphold() if uphold else locked.dismiss()
        locked.decision_note = note
        from django.utils import timezone

        locked.decided_at = timezone.now()
        locked.save()
        if revoke_placement:
            placement_revoke(
                placement=locked.placement,
                by=by,
                reason=_("Revoked after objection %(ref)s: %(note)s")
                % {"ref": locked.case.reference_no, "note": note},
            )
        cases.case_log_event(
            case=locked.case,
            action=AdmissionAction.OBJECTION_UPHELD if uphold else AdmissionAction.OBJECTION_DISMISSED,
            by=by,
            from_state=before,
            to_state=locked.state,
            note=note,
            data={"placement_revoked": bool(revoke_placement)},
        )
        cases.case_set_next_step(case=locked.case, text=_("Decided: %(note)s") % {"note": note[:250]})
        cases.case_transition(case=locked.case, transition="complete", by=by, note=note)
    objection.refresh_from_db()
    return locked
