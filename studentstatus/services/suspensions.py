"""Suspensions (休学): the guardian applies for 3–12 months with a hospital certificate (PDF or JPEG); the
school, then the bureau approve, each step due in 10 working days. On the bureau's approval the record is
suspended (or, for an extension, stays suspended for longer); never more than 24 months in a row. A daily
job reminds the family a month before the end and when it ends; the record stays suspended until a
resumption (studentstatus.services.resumptions) is approved."""

from __future__ import annotations

import calendar
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange import sources as S
from exchange.services import authorisation_grant
from portal.accounts.models import Role
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Channel
from portal.cases.workflow import ActionNotAllowed
from portal.catalog.models import ServiceItem
from portal.core.filetypes import sniff_content_type
from studentstatus.catalogue import SUSPENSION_ITEM, StatusAction
from studentstatus.models import (
    HOSPITAL_CERTIFICATE,
    MAX_MONTHS_IN_A_ROW,
    MEDICAL_CERTIFICATE,
    SUSPENSION_MONTHS,
    TRANSFER_RUNNING,
    HistoryAction,
    RecordStatus,
    Resumption,
    ResumptionState,
    StudentRecord,
    Suspension,
    SuspensionState,
    Transfer,
)
from studentstatus.services import common
from studentstatus.services.records import history_add, record_by_id_number

PURPOSE = "休学申请：核验监护关系"
CERTIFICATE_TYPES = ("application/pdf", "image/jpeg")  # a scan or a photo of the certificate
REMIND_DAYS_BEFORE = 30  # "a month before the end"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months on (31 January + 1 month → 28/29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def clean_months(value) -> int:
    """The number of months asked for: a whole number from 3 to 12 (400 otherwise)."""
    return common.whole_number_in(
        value,
        SUSPENSION_MONTHS,
        field="months",
        message=_("A suspension is applied for %(min)d to %(max)d months at a time."),
    )


def running_months(record: StudentRecord) -> int:
    """Months of the record's suspensions in force (approved, not ended by a resumption)."""
    return sum(
        Suspension.objects.filter(record=record, state=SuspensionState.APPROVED).values_list(
            "months", flat=True
        )
    )


def suspension_rules(record: StudentRecord, months: int) -> str | None:
    """The rule that forbids a suspension of ``record`` for ``months`` now (in Chinese for the family)."""
    if record.status not in (RecordStatus.ENROLLED, RecordStatus.SUSPENDED):
        return _("The student record is %(status)s; only a student at school can be suspended.") % {
            "status": record.get_status_display()
        }
    if Suspension.objects.filter(record=record, state=SuspensionState.SUBMITTED).exists():
        return _("The student already has a suspension application under review.")
    if Resumption.objects.filter(record=record, state=ResumptionState.SUBMITTED).exists():
        return _("The student has a resumption application under review; no suspension meanwhile.")
    if Transfer.objects.filter(record=record, state__in=TRANSFER_RUNNING).exists():
        return _("The student has a transfer running; no suspension meanwhile.")
    total = running_months(record) + months
    if total > MAX_MONTHS_IN_A_ROW:
        return _(
            "A suspension may last at most %(max)d months in a row; with this one it would be %(n)d."
        ) % {"max": MAX_MONTHS_IN_A_ROW, "n": total}
    return None


def applicant_record(*, guardian, student_id_number: str, purpose: str, clerk=None) -> StudentRecord:
    """The student the application is about. Online, the guardian is checked by 户籍 or birth record
    through the exchange; at the counter (``clerk`` given, 一窗受理) the school's clerk has checked the
    originals and may apply only for a pupil of their own school."""
    if clerk is None:
        return common.guardian_record(guardian=guardian, student_id_number=student_id_number, purpose=purpose)
    if clerk.role != Role.CLERK or not clerk.school_id:
        raise PermissionDenied(_("Only a school clerk takes applications at the counter."))
    try:
        record = record_by_id_number(student_id_number)
    except ValidationError as exc:
        raise ValidationError({"student_id_number": exc.messages}) from None
    if record is None or record.school_id != clerk.school_id:
        raise ValidationError({"student_id_number": [_("No student record (学籍) has this ID number.")]})
    # the guardian's consent (授权), signed at the counter, to check the child's 户籍
    authorisation_grant(
        guardian=guardian, subject_id_number=record.id_number, purpose=purpose, sources=[S.HUKOU]
    )
    return record


def check_certificate_file(uploaded_file, *, field: str = "file") -> None:
    """A certificate is a PDF or a JPEG (its real type, from its first bytes): 400 otherwise."""
    uploaded_file.seek(0)
    head = uploaded_file.read(16)
    uploaded_file.seek(0)
    if sniff_content_type(head) not in CERTIFICATE_TYPES:
        raise ValidationError({field: [_("The certificate must be a PDF or a JPEG file.")]})


def certificate_attach(*, obj, by, kind: str, uploaded_file):
    """Upload the certificate of a suspension (hospital certificate) or a resumption (medical
    certificate): the kind must be that certificate, the file a PDF or a JPEG; the kernel checks who may
    add files, the size and that the case is open."""
    wanted = HOSPITAL_CERTIFICATE if isinstance(obj, Suspension) else MEDICAL_CERTIFICATE
    kind = (kind or "").strip() or wanted
    if kind != wanted:
        raise ValidationError({"kind": [_("Upload the %(kind)s here.") % {"kind": wanted}]})
    check_certificate_file(uploaded_file)
    return cases.attachment_add(case=obj.case, by=by, kind=kind, uploaded_file=uploaded_file)


def suspension_apply(
    *,
    guardian,
    student_id_number: str,
    months,
    reason: str,
    channel=Channel.ONLINE,
    clerk=None,
) -> Suspension:
    """The guardian applies (an extension when the student is suspended already); 400 for bad input, 403
    for another family's child, 409 with the rule that forbids it. The school's step is due in 10
    working days; the hospital certificate is uploaded to the case."""
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the student needs to suspend their studies.")]
    try:
        months = clean_months(months)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    record = applicant_record(
        guardian=guardian, student_id_number=student_id_number, purpose=PURPOSE, clerk=clerk
    )
    service = ServiceItem.objects.get(code=SUSPENSION_ITEM)
    try:
        with transaction.atomic():
            record = workflow.lock(record)  # a pupil's applications (transfer, suspension) wait here
            rule = suspension_rules(record, months)
            if rule:
                raise ActionNotAllowed(rule, code="rule")
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
                suspension = Suspension.objects.create(
                    case=case,
                    record=record,
                    months=months,
                    reason=reason,
                    is_extension=record.status == RecordStatus.SUSPENDED,
                    step_due=common.step_due(),
                )
                cases.case_set_next_step(
                    case=case,
                    text=_("%(school)s reviews the suspension (upload the hospital certificate).")
                    % {"school": record.school.name},
                )
            common.message_school(
                record.school,
                subject=_("Suspension to review: %(ref)s") % {"ref": case.reference_no},
                body=_(
                    "%(name)s (grade %(grade)d) applies to suspend for %(months)d months. "
                    "Due by %(due)s: %(url)s"
                )
                % {
                    "name": record.name,
                    "grade": record.grade,
                    "months": months,
                    "due": suspension.step_due,
                    "url": common.case_url("suspensions", case),
                },
                case=case,
            )
            common.message_family(
                case,
                subject=_("Suspension %(ref)s received") % {"ref": case.reference_no},
                body=_(
                    "The school reviews it by %(due)s. Upload the hospital certificate if you have not yet."
                )
                % {"due": suspension.step_due},
            )
    except IntegrityError:  # the database's guard: another application of this pupil at the same moment
        raise ActionNotAllowed(
            _("The student already has a suspension application under review."), code="rule"
        ) from None
    return suspension


def _suspend_record(suspension: Suspension, *, by) -> None:
    """The bureau approved: the record is suspended from today (an extension runs on from the end of the
    suspension in force), and the family is told until when."""
    record = workflow.lock(StudentRecord, suspension.record_id)
    today = cases.local_today()
    previous_end = (
        Suspension.objects.filter(record=record, state=SuspensionState.APPROVED, ends_on__isnull=False)
        .exclude(pk=suspension.pk)
        .order_by("-ends_on")
        .values_list("ends_on", flat=True)
        .first()
    )
    extension = record.status == RecordStatus.SUSPENDED
    suspension.starts_on = max(previous_end, today) if extension and previous_end else today
    suspension.ends_on = add_months(suspension.starts_on, suspension.months)
    suspension.step_due = None
    suspension.decided_at = timezone.now()
    suspension.save(update_fields=["starts_on", "ends_on", "step_due", "decided_at"])
    if extension:
        history_add(
            record=record,
            action=HistoryAction.SUSPENDED,
            by=by,
            case=suspension.case,
            changes={
                "suspended_until": [
                    previous_end.isoformat() if previous_end else None,
                    suspension.ends_on.isoformat(),
                ]
            },
            note=_("Suspension extended"),
        )
    else:
        record = workflow.perform(record, "suspend", by=by)
        history_add(
            record=record,
            action=HistoryAction.SUSPENDED,
            by=by,
            case=suspension.case,
            changes={
                "status": [RecordStatus.ENROLLED, RecordStatus.SUSPENDED],
                "suspended_until": [None, suspension.ends_on.isoformat()],
            },
        )
    common.message_family(
        suspension.case,
        subject=_("Suspension %(ref)s approved") % {"ref": suspension.case.reference_no},
        body=_(
            "%(name)s is suspended from %(start)s until %(end)s. Before returning, apply for resumption "
            "with a medical certificate; the record stays suspended until the school approves it."
        )
        % {"name": record.name, "start": suspension.starts_on, "end": suspension.ends_on},
    )
    common.message_school(
        record.school,
        subject=_("Suspension %(ref)s approved") % {"ref": suspension.case.reference_no},
        body=_("%(name)s is suspended from %(start)s until %(end)s.")
        % {"name": record.name, "start": suspension.starts_on, "end": suspension.ends_on},
        case=suspension.case,
    )


def _after_approval(suspension: Suspension, by) -> None:
    case = suspension.case
    if suspension.state == SuspensionState.APPROVED:
        _suspend_record(suspension, by=by)
        return
    # the school agreed: the bureau's step, due in 10 working days
    suspension.step_due = common.step_due()
    suspension.save(update_fields=["step_due"])
    cases.case_set_next_step(case=case, text=_("The education bureau approves the suspension."))
    common.message_bureau(
        suspension.record.school.district,
        subject=_("Suspension to approve: %(ref)s") % {"ref": case.reference_no},
        body=_(
            "The school agreed to the suspension of %(name)s for %(months)d months; "
            "approve by %(due)s: %(url)s"
        )
        % {
            "name": suspension.record.name,
            "months": suspension.months,
            "due": suspension.step_due,
            "url": common.case_url("suspensions", case),
        },
        case=case,
    )
    common.message_family(
        case,
        subject=_("Suspension %(ref)s: the school agreed") % {"ref": case.reference_no},
        body=_("The school agreed; the education bureau approves next."),
    )


def suspension_approve(*, suspension: Suspension, by, note: str = "") -> Suspension:
    """The school, then the bureau approve (403 for anyone else; 409 without the hospital certificate or
    over the 24-month cap)."""
    return workflow.perform(
        suspension,
        "approve",
        by=by,
        note=note,
        now=timezone.now(),
        then=lambda s: _after_approval(s, by),
    )


def _closed(suspension, what: str, note: str) -> None:
    common.request_closed(suspension, subject=_("Suspension %(ref)s: %(what)s"), what=what, note=note)


def suspension_reject(*, suspension: Suspension, by, note: str = "") -> Suspension:
    note = common.required_note(note)
    return workflow.perform(
        suspension, "reject", by=by, note=note, then=lambda s: _closed(s, _("rejected"), note)
    )


def suspension_withdraw(*, suspension: Suspension, by, note: str = "") -> Suspension:
    return workflow.perform(
        suspension, "withdraw", by=by, note=note, then=lambda s: _closed(s, _("withdrawn"), note)
    )


# --- the daily reminder ---------------------------------------------------------------------------------


def suspensions_due_for_reminder(today: dt.date):
    """Approved suspensions of records still suspended whose end is a month away or past, and which have
    not had that reminder yet; only the last suspension of each record (an extension supersedes)."""
    soon = today + dt.timedelta(days=REMIND_DAYS_BEFORE)
    candidates = Suspension.objects.filter(
        state=SuspensionState.APPROVED,
        record__status=RecordStatus.SUSPENDED,
        ends_on__lte=soon,
    ).exclude(reminded_before=True, reminded_end=True)
    return [
        s
        for s in candidates.select_related("case", "record")
        if not Suspension.objects.filter(
            record_id=s.record_id, state=SuspensionState.APPROVED, ends_on__gt=s.ends_on
        ).exists()
    ]


def suspension_remind(*, suspension_id: int, today: dt.date | None = None) -> str:
    """Send the reminder this suspension is due ("before" a month ahead, "end" on or after the end
    date), once each: the flags are set in the same transaction as the message. Returns what was sent
    ("" for nothing)."""
    today = today or cases.local_today()
    with transaction.atomic():
        suspension = workflow.lock(Suspension, suspension_id)
        record = suspension.record
        if (
            suspension.state != SuspensionState.APPROVED
            or record.status != RecordStatus.SUSPENDED
            or suspension.ends_on is None
        ):
            return ""
        ref = suspension.case.reference_no
        if today >= suspension.ends_on and not suspension.reminded_end:
            suspension.reminded_end = suspension.reminded_before = True
            sent = "end"
            subject = _("Suspension %(ref)s has ended") % {"ref": ref}
            body = _(
                "The suspension of %(name)s ended on %(end)s. The student record stays suspended until "
                "the school approves a resumption: apply for resumption with a medical certificate."
            ) % {"name": record.name, "end": suspension.ends_on}
        elif (
            today >= suspension.ends_on - dt.timedelta(days=REMIND_DAYS_BEFORE)
            and today < suspension.ends_on
            and not suspension.reminded_before
        ):
            suspension.reminded_before = True
            sent = "before"
            subject = _("Suspension %(ref)s ends on %(end)s") % {"ref": ref, "end": suspension.ends_on}
            body = _(
                "The suspension of %(name)s ends on %(end)s. Apply for resumption with a medical "
                "certificate, or for an extension (at most %(max)d months in a row)."
            ) % {"name": record.name, "end": suspension.ends_on, "max": MAX_MONTHS_IN_A_ROW}
        else:
            return ""
        suspension.save(update_fields=["reminded_before", "reminded_end"])
        cases.case_log_event(
            case=suspension.case, action=StatusAction.SUSPENSION_REMINDED, by=None, data={"reminder": sent}
        )
        common.message_family(suspension.case, subject=subject, body=body)
    return sent


def suspensions_remind_due(*, today: dt.date | None = None) -> dict:
    """The daily job: every reminder that is due, each in its own transaction (idempotent)."""
    today = today or cases.local_today()
    sent = {"before": 0, "end": 0}
    for suspension in suspensions_due_for_reminder(today):
        what = suspension_remind(suspension_id=suspension.pk, today=today)
        if what:
            sent[what] += 1
    return sent
