"""Transfers (转学) within the county: the guardian applies naming the receiving school; the receiving
school, the sending school and the bureau approve in turn, each step due in 10 working days; on the
bureau's approval the record moves school (and a seat with it) in the same transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Channel
from portal.cases.workflow import ActionNotAllowed
from portal.catalog.models import ServiceItem
from portal.orgs.models import School
from studentstatus import seats
from studentstatus.catalogue import TRANSFER_ITEM, StatusAction
from studentstatus.models import (
    TRANSFER_RUNNING,
    HistoryAction,
    RecordStatus,
    StudentRecord,
    Suspension,
    SuspensionState,
    Transfer,
    TransferState,
)
from studentstatus.services import common
from studentstatus.services.records import history_add

PURPOSE = "转学申请：核验监护关系"


def transfer_rules(record: StudentRecord, to_school: School) -> str | None:
    """The rule that forbids a transfer of ``record`` to ``to_school`` now (in Chinese for the family)."""
    if to_school.district_id != record.school.district_id:
        return _(
            "%(school)s is in another county (district); a transfer across counties is applied for at the "
            "receiving county's education bureau, not here."
        ) % {"school": to_school.name}
    if to_school.pk == record.school_id:
        return _("The student is already at %(school)s.") % {"school": to_school.name}
    if to_school.stage != record.stage:
        return _("%(school)s does not teach the student's stage.") % {"school": to_school.name}
    if record.status == RecordStatus.SUSPENDED:
        return _("The student is suspended (休学); no transfer during a suspension.")
    if record.status != RecordStatus.ENROLLED:
        return _("The student record is %(status)s; only an enrolled student can transfer.") % {
            "status": record.get_status_display()
        }
    if record.in_graduating_year:
        return _("The student is in the graduating year; no transfer in the graduating year.")
    if Transfer.objects.filter(record=record, state__in=TRANSFER_RUNNING).exists():
        return _("The student already has a transfer running.")
    if Suspension.objects.filter(record=record, state=SuspensionState.SUBMITTED).exists():
        return _("The student has a suspension (休学) application under review; no transfer meanwhile.")
    if not seats.has_free_seat(school=to_school, stage=record.stage, grade=record.grade):
        return _("%(school)s has no free seat in grade %(grade)d.") % {
            "school": to_school.name,
            "grade": record.grade,
        }
    return None


def transfer_apply(
    *, guardian, student_id_number: str, to_school_code: str, reason: str, channel=Channel.ONLINE
):
    """The guardian applies for a transfer; 400 for bad input, 403 for another family's child, 409 with
    the rule that forbids it. The receiving school's step is due in 10 working days."""
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the student is to transfer.")]
    to_school = School.objects.select_related("district").filter(code=(to_school_code or "").strip()).first()
    if to_school is None:
        errors["to_school_code"] = [_("No school has this code.")]
    if errors:
        raise ValidationError(errors)
    record = common.guardian_record(guardian=guardian, student_id_number=student_id_number, purpose=PURPOSE)
    service = ServiceItem.objects.get(code=TRANSFER_ITEM)
    try:
        with transaction.atomic():
            record = workflow.lock(record)  # one pupil's applications wait for each other here
            rule = transfer_rules(record, to_school)
            if rule:
                raise ActionNotAllowed(rule, code="rule")
            with cases.case_opening(
                service=service,
                applicant=guardian,
                subject_name=record.name,
                subject_id_number=record.id_number,
                channel=channel,
                district=to_school.district,
                school=to_school,
                by=guardian,
            ) as case:
                transfer = Transfer.objects.create(
                    case=case,
                    record=record,
                    from_school=record.school,
                    to_school=to_school,
                    grade=record.grade,
                    reason=reason,
                    step_due=case.deadline if case.promised_days else common.step_due(),
                )
                cases.case_set_next_step(
                    case=case, text=_("%(school)s reviews the transfer.") % {"school": to_school.name}
                )
            common.message_school(
                to_school,
                subject=_("Transfer to review: %(ref)s") % {"ref": case.reference_no},
                body=_(
                    "%(name)s (grade %(grade)d, from %(from)s) applies to transfer to your school. "
                    "Due by %(due)s: %(url)s"
                )
                % {
                    "name": record.name,
                    "grade": record.grade,
                    "from": record.school.name,
                    "due": transfer.step_due,
                    "url": common.case_url("transfers", case),
                },
                case=case,
            )
    except IntegrityError:  # the database's guard: another transfer of this pupil started at the same time
        raise ActionNotAllowed(_("The student already has a transfer running."), code="rule") from None
    return transfer


def _next_step_due(transfer: Transfer, step: str) -> None:
    """A new step starts today: the case's clock restarts (the kernel's calendar gives the date, shown in
    "my cases" and the kernel's queue), the step is due with it, and it may be flagged overdue afresh."""
    if transfer.case.promised_days:
        transfer.step_due = cases.case_restart_clock(case=transfer.case, note=step).deadline
    else:  # the bureau made TRF an on-the-spot item in the catalogue: no case clock, the rule's 10 days
        transfer.step_due = common.step_due()
    transfer.overdue_flagged_on = None
    transfer.save(update_fields=["step_due", "overdue_flagged_on"])


def _after_step(transfer: Transfer, by, note: str) -> None:
    """What follows an approval, in the approval's transaction: the next step and its due date, or the
    move of the record when the bureau approved."""
    case = transfer.case
    url = common.case_url("transfers", case)
    if transfer.state == TransferState.AWAITING_SENDING:
        _next_step_due(transfer, _("The sending school's step"))
        cases.case_assign_school(
            case=case, school=transfer.from_school, by=None, note=_("Sending school's step")
        )
        cases.case_set_next_step(
            case=case, text=_("%(school)s confirms the transfer out.") % {"school": transfer.from_school.name}
        )
        common.message_school(
            transfer.from_school,
            subject=_("Transfer to review: %(ref)s") % {"ref": case.reference_no},
            body=_("%(school)s accepted %(name)s; confirm the transfer out by %(due)s: %(url)s")
            % {
                "school": transfer.to_school.name,
                "name": transfer.record.name,
                "due": transfer.step_due,
                "url": url,
            },
            case=case,
        )
        common.message_family(
            case,
            subject=_("Transfer %(ref)s: the receiving school agreed") % {"ref": case.reference_no},
            body=_("%(school)s agreed to receive the student; the sending school reviews next.")
            % {"school": transfer.to_school.name},
        )
    elif transfer.state == TransferState.AWAITING_BUREAU:
        _next_step_due(transfer, _("The bureau's step"))
        cases.case_set_next_step(case=case, text=_("The education bureau approves the transfer."))
        common.message_bureau(
            transfer.to_school.district,
            subject=_("Transfer to approve: %(ref)s") % {"ref": case.reference_no},
            body=_("Both schools agreed to the transfer of %(name)s; approve by %(due)s: %(url)s")
            % {"name": transfer.record.name, "due": transfer.step_due, "url": url},
            case=case,
        )
        common.message_family(
            case,
            subject=_("Transfer %(ref)s: the sending school agreed") % {"ref": case.reference_no},
            body=_("The sending school agreed; the education bureau approves next."),
        )
    elif transfer.state == TransferState.COMPLETED:
        _move_record(transfer, by=by)


def _move_record(transfer: Transfer, *, by) -> None:
    record = workflow.lock(StudentRecord, transfer.record_id)
    seats.move_seat(
        from_school=record.school, to_school=transfer.to_school, stage=record.stage, grade=record.grade
    )
    previous = record.school
    record.school = transfer.to_school
    record.class_name = ""
    record.save()
    history_add(
        record=record,
        action=HistoryAction.MOVED,
        by=by,
        case=transfer.case,
        changes={
            "school_id": [previous.pk, transfer.to_school_id],
            "class_name": [transfer.record.class_name, ""],
        },
    )
    transfer.step_due = None
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["step_due", "decided_at"])
    cases.case_log_event(
        case=transfer.case,
        action=StatusAction.RECORD_MOVED,
        by=by,
        data={"from": previous.code, "to": transfer.to_school.code, "student_no": record.masked_student_no},
    )
    subject = _("Transfer %(ref)s completed") % {"ref": transfer.case.reference_no}
    body = _("%(name)s now belongs to %(to)s (from %(from)s). Student number: %(no)s.") % {
        "name": record.name,
        "to": transfer.to_school.name,
        "from": previous.name,
        "no": record.masked_student_no,
    }
    common.message_family(transfer.case, subject=subject, body=body)
    common.message_school(previous, subject=subject, body=body, case=transfer.case)
    common.message_school(transfer.to_school, subject=subject, body=body, case=transfer.case)


def transfer_approve(*, transfer: Transfer, by, note: str = "") -> Transfer:
    """The school or bureau whose step it is approves (403 for anyone else, 409 when no seat is left)."""
    return workflow.perform(transfer, "approve", by=by, note=note, then=lambda t: _after_step(t, by, note))


def _closed(transfer, what: str, note: str) -> None:
    common.request_closed(transfer, subject=_("Transfer %(ref)s: %(what)s"), what=what, note=note)


def transfer_reject(*, transfer: Transfer, by, note: str = "") -> Transfer:
    note = common.required_note(note)
    return workflow.perform(
        transfer, "reject", by=by, note=note, then=lambda t: _closed(t, _("rejected"), note)
    )


def transfer_withdraw(*, transfer: Transfer, by, note: str = "") -> Transfer:
    return workflow.perform(
        transfer, "withdraw", by=by, note=note, then=lambda t: _closed(t, _("withdrawn"), note)
    )


# --- overdue steps (the periodic sweep) ------------------------------------------------------------------


def transfers_flag_overdue(*, today=None) -> int:
    """Flag every running transfer whose current step is past its due date and tell the bureau of the
    district (a message per bureau user) and the case's trace (``studentstatus.step_overdue``). Once per
    step: a flagged step is not flagged again, and a new step starts unflagged. Returns how many were
    flagged; running it again at once flags none."""
    today = today or cases.local_today()
    due = Transfer.objects.filter(
        state__in=TRANSFER_RUNNING, step_due__lt=today, overdue_flagged_on__isnull=True
    ).values_list("pk", flat=True)
    flagged = 0
    for pk in list(due[:5000]):
        with transaction.atomic():
            transfer = workflow.lock(Transfer, pk)
            if (
                transfer.state not in TRANSFER_RUNNING
                or transfer.overdue_flagged_on is not None
                or transfer.step_due is None
                or transfer.step_due >= today
            ):
                continue  # moved on or flagged by another sweep meanwhile
            transfer.overdue_flagged_on = today
            transfer.save(update_fields=["overdue_flagged_on"])
            step = str(transfer.get_state_display())
            cases.case_log_event(
                case=transfer.case,
                action=StatusAction.STEP_OVERDUE,
                note=step,
                data={"step": transfer.state, "due": transfer.step_due.isoformat()},
            )
            common.message_bureau(
                transfer.to_school.district,
                subject=_("Transfer %(ref)s is overdue: %(step)s")
                % {"ref": transfer.case.reference_no, "step": step},
                body=_("The step “%(step)s” of the transfer of %(name)s was due by %(due)s: %(url)s")
                % {
                    "step": step,
                    "name": transfer.record.name,
                    "due": transfer.step_due,
                    "url": common.case_url("transfers", transfer.case),
                },
                case=transfer.case,
            )
            flagged += 1
    return flagged
