"""What the student-status actions share: who the guardian is (by 户籍 or birth record, through the
exchange), the step's due date, and messages to schools and the bureau."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange import sources as S
from exchange.errors import ExchangeError, NotFound
from exchange.services import authorisation_grant, lookup
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases.workdays import add_working_days
from portal.cases.workflow import ActionNotAllowed
from portal.notify.services import message_send
from studentstatus.catalogue import STEP_WORKING_DAYS
from studentstatus.services.records import record_by_id_number


def step_due(today=None):
    return add_working_days(today or cases.local_today(), STEP_WORKING_DAYS)


def guardian_record(*, guardian, student_id_number: str, purpose: str, lock: bool = False):
    """The record of ``guardian``'s child: 400 for no such record, 403 unless the 户口簿 lists the
    guardian as head or spouse beside the child or the birth record names them; 409 when the registries
    cannot answer now."""
    try:
        record = record_by_id_number(student_id_number, lock=lock)
    except ValidationError as exc:
        raise ValidationError({"student_id_number": exc.messages}) from None
    if record is None:
        raise ValidationError({"student_id_number": [_("No student record (学籍) has this ID number.")]})
    if guardian.is_superuser:
        return record
    if guardian.role != Role.CITIZEN or not guardian.id_number:
        raise PermissionDenied(_("Only the student's guardian, signed in with a verified name, can apply."))
    child_id = record.id_number
    authorisation_grant(
        guardian=guardian, subject_id_number=child_id, purpose=purpose, sources=[S.HUKOU, S.BIRTH]
    )
    ask = {"purpose": purpose, "requester": guardian}
    try:
        household = lookup(S.hukou_household, id_number=child_id, **ask)
        member = household.member(guardian.id_number)
        if (
            household.member(child_id) is not None
            and member is not None
            and member.relation in ("head", "spouse")
        ):
            return record
    except NotFound:
        pass
    except ExchangeError:
        raise ActionNotAllowed(
            _(
                "The household registry cannot confirm now that you are the student's guardian; "
                "try again later."
            )
        ) from None
    try:
        birth = lookup(S.birth_record, child_id=child_id, **ask)
    except NotFound:
        birth = None
    except ExchangeError:
        raise ActionNotAllowed(
            _("The birth records cannot confirm now that you are the student's guardian; try again later.")
        ) from None
    if birth is None or guardian.id_number not in (birth.mother_id, birth.father_id):
        raise PermissionDenied(
            _("By the household registry and birth records you are not this student's guardian.")
        )
    return record


def case_url(kind: str, case) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("studentstatus:case", args=[kind, case.reference_no])


def message_school(school, *, subject: str, body: str, case) -> None:
    for clerk in User.objects.filter(role=Role.CLERK, school=school, is_active=True):
        message_send(recipient=clerk, subject=subject[:200], body=body, case=case)


def message_bureau(district, *, subject: str, body: str, case) -> None:
    for user in User.objects.filter(role=Role.BUREAU, district=district, is_active=True):
        message_send(recipient=user, subject=subject[:200], body=body, case=case)


def message_family(case, *, subject: str, body: str) -> None:
    message_send(recipient=case.applicant, subject=subject[:200], body=body, case=case)


def required_note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Give the reason for the refusal.")]})
    return note


def whole_number_in(value, allowed: range, *, field: str, message: str) -> int:
    """``value`` as a whole number within ``allowed``, else a 400 on ``field`` with ``message`` (which may
    name ``%(min)d`` and ``%(max)d``)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or number not in allowed:
        raise ValidationError({field: [message % {"min": allowed[0], "max": allowed[-1]}]})
    return number


def request_closed(request, *, subject: str, what: str, note: str) -> None:
    """A transfer, suspension, resumption or correction rejected or withdrawn (inside its ``perform``):
    no step is due any more, the decision and its note are kept, and the family is told."""
    request.step_due = None
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["step_due", "decided_at", "decision_note"])
    message_family(
        request.case, subject=subject % {"ref": request.case.reference_no, "what": what}, body=note or what
    )
