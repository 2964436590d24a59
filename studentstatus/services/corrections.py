"""Corrections (信息更正) of a record's name, gender, birth date or ethnicity. The new value is checked
against the child's 户籍 through the exchange (after the application commits, by a task): a match is
approved at once (秒批) and the record corrected; a mismatch — or a registry that cannot answer — goes to
the school, which sees the registry's value. The ID number (and so the 学籍号) is not changed here."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange import sources as S
from exchange.errors import ExchangeError, NotFound
from exchange.services import lookup
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Channel
from portal.cases.workflow import ActionNotAllowed
from portal.catalog.models import ServiceItem
from studentstatus.catalogue import CORRECTION_ITEM
from studentstatus.models import (
    Correction,
    CorrectionField,
    CorrectionState,
    HistoryAction,
    RecordStatus,
    StudentRecord,
)
from studentstatus.services import common
from studentstatus.services.records import diff, history_add, snapshot
from studentstatus.services.suspensions import applicant_record

PURPOSE = "学籍信息更正：与户籍信息比对"
ID_FIELDS = ("id_number", "student_no", "student_id_number", "id", "identity_number")
GENDER_WORDS = {"M": "M", "F": "F", "男": "M", "女": "F", "m": "M", "f": "F"}
STUCK_AFTER = dt.timedelta(minutes=10)  # a check not done by then is queued again by the sweep


def clean_correction(field: str, new_value) -> tuple[str, str]:
    """(field, new value as stored) — 400 with a clear message for the ID number, an unknown field or a
    value that cannot be right."""
    field = (field or "").strip()
    if field in ID_FIELDS:
        raise ValidationError(
            {
                "field": [
                    _(
                        "The ID number (and the student number made from it) cannot be changed here. Have "
                        "the police station of the household registration correct it first; the school "
                        "then updates the student record."
                    )
                ]
            }
        )
    if field not in CorrectionField.values:
        raise ValidationError(
            {"field": [_("Choose what to correct: name, gender, birth date or ethnicity.")]}
        )
    value = str(new_value if new_value is not None else "").strip()
    if not value:
        raise ValidationError({"new_value": [_("Give the correct value.")]})
    if field == CorrectionField.GENDER:
        if value not in GENDER_WORDS:
            raise ValidationError({"new_value": [_("Gender is M (male) or F (female).")]})
        value = GENDER_WORDS[value]
    elif field == CorrectionField.BIRTH_DATE:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationError({"new_value": [_("Give the birth date as YYYY-MM-DD.")]}) from None
        if day > cases.local_today():
            raise ValidationError({"new_value": [_("The birth date cannot be in the future.")]})
        value = day.isoformat()
    elif field == CorrectionField.NAME:
        if len(value) > 100 or any(ch.isdigit() for ch in value):
            raise ValidationError({"new_value": [_("A name has no digits and at most 100 characters.")]})
    elif field == CorrectionField.ETHNICITY and len(value) > 20:
        raise ValidationError({"new_value": [_("An ethnicity has at most 20 characters.")]})
    return field, value


def record_value(record: StudentRecord, field: str) -> str:
    value = getattr(record, field)
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def correction_apply(
    *, guardian, student_id_number: str, field: str, new_value, channel=Channel.ONLINE, clerk=None
) -> Correction:
    """The guardian asks to correct one item; 400 for the ID number, an unknown item or a bad value, 403
    for another family's child, 409 while the same item is being corrected. The 户籍 check follows at
    once, after commit (:func:`correction_verify`)."""
    field, value = clean_correction(field, new_value)
    record = applicant_record(
        guardian=guardian, student_id_number=student_id_number, purpose=PURPOSE, clerk=clerk
    )
    old = record_value(record, field)
    if old == value:
        raise ValidationError({"new_value": [_("The student record already says this.")]})
    service = ServiceItem.objects.get(code=CORRECTION_ITEM)
    try:
        with transaction.atomic():
            record = workflow.lock(record)
            if record.status not in (RecordStatus.ENROLLED, RecordStatus.SUSPENDED):
                raise ActionNotAllowed(
                    _("The student record is %(status)s; it is corrected by the school that holds it now.")
                    % {"status": record.get_status_display()},
                    code="rule",
                )
            if Correction.objects.filter(
                record=record,
                field=field,
                state__in=(CorrectionState.VERIFYING, CorrectionState.NEEDS_REVIEW),
            ).exists():
                raise ActionNotAllowed(_("This item is already being corrected."), code="rule")
            with cases.case_opening(
                service=service,
                applicant=guardian,
                subject_name=record.name,
                subject_id_number=record.id_number,
                channel=Channel.COUNTER if clerk is not None else channel,
                district=record.school.district,
                school=record.school,
                by=clerk or guardian,
            ) as case:
                correction = Correction.objects.create(
                    case=case, record=record, field=field, old_value=old, new_value=value
                )
                cases.case_set_next_step(case=case, text=_("Checking against the household registry."))
            transaction.on_commit(lambda: _queue_verify(correction.pk))
    except IntegrityError:
        raise ActionNotAllowed(_("This item is already being corrected."), code="rule") from None
    return correction


def _queue_verify(correction_id: int) -> None:
    from studentstatus.tasks import verify_correction

    verify_correction.delay(correction_id)


def _registry_value(person, field: str) -> str | None:
    """The registry's value of ``field`` (None: the 户籍 answer does not carry it)."""
    if field == CorrectionField.BIRTH_DATE:
        return person.birth_date.isoformat() if person.birth_date else ""
    if field == CorrectionField.ETHNICITY:
        return getattr(person, "ethnicity", None)
    return str(getattr(person, field, "") or "")


def _correct_record(correction: Correction, *, by) -> None:
    record = workflow.lock(StudentRecord, correction.record_id)
    before = snapshot(record)
    value = correction.new_value
    if correction.field == CorrectionField.BIRTH_DATE:
        value = dt.date.fromisoformat(value)
    setattr(record, correction.field, value)
    record.save()
    history_add(
        record=record,
        action=HistoryAction.CORRECTED,
        by=by,
        case=correction.case,
        changes=diff(before, snapshot(record)),
    )
    correction.step_due = None
    correction.decided_at = timezone.now()
    correction.save(update_fields=["step_due", "decided_at"])
    label = CorrectionField(correction.field).label
    common.message_family(
        correction.case,
        subject=_("Correction %(ref)s approved") % {"ref": correction.case.reference_no},
        body=_("The student record now says %(field)s: %(value)s.")
        % {"field": label, "value": correction.new_value},
    )


def _to_review(correction: Correction) -> None:
    correction.step_due = common.step_due()
    correction.save(update_fields=["step_due"])
    case = correction.case
    cases.case_set_next_step(case=case, text=_("The school reviews the correction."))
    common.message_school(
        correction.record.school,
        subject=_("Correction to review: %(ref)s") % {"ref": case.reference_no},
        body=_(
            "%(name)s: the new %(field)s differs from the household registry (%(reason)s). "
            "Review by %(due)s: %(url)s"
        )
        % {
            "name": correction.record.name,
            "field": CorrectionField(correction.field).label,
            "reason": correction.check_reason,
            "due": correction.step_due,
            "url": common.case_url("corrections", case),
        },
        case=case,
    )
    common.message_family(
        case,
        subject=_("Correction %(ref)s: the school reviews it") % {"ref": case.reference_no},
        body=_(
            "The new value could not be confirmed by the household registry; "
            "the school reviews it by %(due)s."
        )
        % {"due": correction.step_due},
    )


def correction_verify(*, correction_id: int) -> Correction | None:
    """Check the new value against the child's 户籍 (system action; idempotent — a correction no longer
    being checked is left alone). Match → approved at once and the record corrected; a different value,
    no entry, or a registry that cannot answer → the school's review with the reason."""
    correction = Correction.objects.select_related("case", "record").get(pk=correction_id)
    if correction.state != CorrectionState.VERIFYING:
        return None
    field = correction.field
    try:
        person = lookup(
            S.hukou_person,
            id_number=correction.record.id_number,
            purpose=PURPOSE,
            requester=correction.case.applicant,
            case=correction.case,
        )
    except NotFound:
        result, registry, reason = "fail", "", _("The household registry has no entry for this ID number.")
    except ExchangeError:
        result, registry, reason = (
            "unavailable",
            "",
            _("The household registry could not answer; the school checks instead."),
        )
    else:
        registry = _registry_value(person, field)
        if registry is None:
            result, registry, reason = (
                "unavailable",
                "",
                _("The household registry does not share this item; the school checks it."),
            )
        elif registry == correction.new_value:
            result, reason = "pass", _("Matches the household registry.")
        else:
            result, reason = "fail", _("Differs from the household registry; the school sees its value.")

    def record_check(locked):
        locked.registry_value = registry[:100]
        locked.check_result = result
        locked.check_reason = reason[:300]
        locked.save(update_fields=["registry_value", "check_result", "check_reason"])

    def then(locked):
        record_check(locked)
        if result == "pass":
            _correct_record(locked, by=None)
        else:
            _to_review(locked)

    try:
        return workflow.perform(
            correction,
            "match" if result == "pass" else "mismatch",
            by=None,
            note=reason,
            data={"check": result},
            then=then,
        )
    except ActionNotAllowed:  # checked twice at once: the other run decided
        return None


def correction_approve(*, correction: Correction, by, note: str = "") -> Correction:
    """The school accepts the new value after seeing the registry's; the record is corrected."""
    return workflow.perform(correction, "approve", by=by, note=note, then=lambda c: _correct_record(c, by=by))


def correction_reject(*, correction: Correction, by, note: str = "") -> Correction:
    note = common.required_note(note)

    def closed(c):
        common.request_closed(c, subject=_("Correction %(ref)s: %(what)s"), what=_("rejected"), note=note)

    return workflow.perform(correction, "reject", by=by, note=note, then=closed)


def corrections_requeue_stuck(*, now=None) -> int:
    """The sweep: corrections still being checked a while after they were made (a lost task, a dead
    worker) are queued again. Returns how many."""
    now = now or timezone.now()
    stuck = list(
        Correction.objects.filter(
            state=CorrectionState.VERIFYING, case__submitted_at__lt=now - STUCK_AFTER
        ).values_list("pk", flat=True)
    )
    for pk in stuck:
        _queue_verify(pk)
    return len(stuck)
