"""Objections (异议) to a school's admission notice, on the kernel's public notices (portal.notices): a
guardian raises one within the notice period (to the notice or to the entry numbered ``entry_no``),
which opens a review case (service item ADO); bureau staff uphold it — which revokes the contested
placement — or dismiss it. While an objection is open, the notice's placements are not made final.

These keep admission's own argument names (``reason``, ``entry_no``, ``note``) for its pages and tests
and call ``portal.notices.services``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from admission import notices as admission_notices
from portal.accounts.models import User
from portal.notices import services as notices
from portal.notices.models import Objection


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


def objection_submit(*, by: User, school, reason: str, entry_no: int | None = None) -> Objection:
    """A signed-in, real-name-verified guardian objects to ``school``'s public notice (optionally to the
    entry numbered ``entry_no``). Opens a case the district's bureau reviews."""
    errors: dict[str, list[str]] = {}
    notice = admission_notices.open_notice_for(school)
    entry = None
    if notice is None:
        errors["school"] = [
            _("%(school)s has no public notice open for objections.") % {"school": school.name}
        ]
    elif entry_no is not None:
        entry = admission_notices.entry_numbered(notice, entry_no)
        if entry is None:
            errors["entry_no"] = [
                _("The notice of %(school)s has no entry %(n)s.") % {"school": school.name, "n": entry_no}
            ]
    if errors:
        if len((reason or "").strip()) < notices.TEXT_MIN:  # say everything that is wrong at once
            errors["reason"] = [
                _("Describe the facts and your reason (at least %(n)d characters).") % {"n": notices.TEXT_MIN}
            ]
        raise ValidationError(errors)
    try:
        return notices.objection_raise(notice=notice, by=by, text=reason, entry=entry)
    except ValidationError as exc:
        if type(exc) is ValidationError:
            raise _renamed(exc, {"text": "reason", "entry": "entry_no"}) from None
        raise


def objection_decide(
    *, objection: Objection, by: User, uphold: bool, note: str, revoke_placement: bool = False
) -> Objection:
    """Bureau staff decide: uphold (the contested placement, if the objection names one, is revoked and
    its seat goes back) or dismiss. The objector is told the decision with the note; the case is done.
    ``revoke_placement`` asks for the revocation explicitly (refused for a dismissal or an objection to
    the whole notice); an upheld objection to an entry revokes it in any case."""
    if revoke_placement and not uphold:
        raise ValidationError({"revoke_placement": [_("Only an upheld objection revokes a placement.")]})
    if revoke_placement and objection.entry_id is None:
        raise ValidationError({"revoke_placement": [_("The objection names no entry of the notice.")]})
    try:
        return notices.objection_answer(objection=objection, upheld=uphold, answer=note, by=by)
    except ValidationError as exc:
        if type(exc) is ValidationError:
            raise _renamed(exc, {"answer": "note"}) from None
        raise
