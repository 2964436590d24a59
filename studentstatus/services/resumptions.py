"""Resumptions (复学): the guardian of a suspended student applies with a medical certificate; the school
approves and assigns the grade. On approval the suspensions in force end and the record is back on the
roll in that grade, in one transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Channel
from portal.cases.workflow import ActionNotAllowed
from portal.catalog.models import ServiceItem
from studentstatus.catalogue import SUSPENSION_ITEM
from studentstatus.models import (
    GRADES,
    HistoryAction,
    RecordStatus,
    Resumption,
    ResumptionState,
    StudentRecord,
    Suspension,
    SuspensionState,
)
from studentstatus.services import common
from studentstatus.services.records import diff, history_add, snapshot
from studentstatus.services.suspensions import applicant_record

PURPOSE = "复学申请：核验监护关系"


def resumption_rules(record: StudentRecord) -> str | None:
    if record.status != RecordStatus.SUSPENDED:
        return _("The student is not suspended (休学); there is nothing to resume.")
    if Resumption.objects.filter(record=record, state=ResumptionState.SUBMITTED).exists():
        return _("The student already has a resumption application under review.")
    if Suspension.objects.filter(record=record, state=SuspensionState.SUBMITTED).exists():
        return _("The student has a suspension application under review; withdraw it before resuming.")
    return None


def resumption_apply(
    *, guardian, student_id_number: str, channel=Channel.ONLINE, clerk=None, note: str = ""
) -> Resumption:
    """The guardian applies for the suspended student's return; 403 for another family's child, 409 when
    the student is not suspended or already has one under review. The school's step is due in 10
    working days; the medical certificate is uploaded to the case."""
    record = applicant_record(
        guardian=guardian, student_id_number=student_id_number, purpose=PURPOSE, clerk=clerk
    )
    service = ServiceItem.objects.get(code=SUSPENSION_ITEM)
    try:
        with transaction.atomic():
            record = workflow.lock(record)
            rule = resumption_rules(record)
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
                resumption = Resumption.objects.create(case=case, record=record, step_due=common.step_due())
                cases.case_set_next_step(
                    case=case,
                    text=_(
                        "%(school)s reviews the return and assigns the grade "
                        "(upload the medical certificate)."
                    )
                    % {"school": record.school.name},
                )
            common.message_school(
                record.school,
                subject=_("Resumption to review: %(ref)s") % {"ref": case.reference_no},
                body=_("%(name)s applies to return to school. Assign the grade by %(due)s: %(url)s")
                % {
                    "name": record.name,
                    "due": resumption.step_due,
                    "url": common.case_url("resumptions", case),
                },
                case=case,
            )
            common.message_family(
                case,
                subject=_("Resumption %(ref)s received") % {"ref": case.reference_no},
                body=_(
                    "The school reviews it by %(due)s. Upload the medical certificate if you have not yet."
                )
                % {"due": resumption.step_due},
            )
    except IntegrityError:
        raise ActionNotAllowed(
            _("The student already has a resumption application under review."), code="rule"
        ) from None
    return resumption


def clean_grade(record: StudentRecord, value) -> int:
    return common.whole_number_in(
        value,
        GRADES.get(record.stage, range(1, 10)),
        field="grade",
        message=_("Assign a grade from %(min)d to %(max)d (the student's stage)."),
    )


def _resume_record(resumption: Resumption, *, by, note: str) -> None:
    record = workflow.lock(StudentRecord, resumption.record_id)
    for suspension in Suspension.objects.filter(record=record, state=SuspensionState.APPROVED):
        workflow.perform(
            suspension,
            "end",
            by=None,
            note=_("Resumption %(ref)s approved") % {"ref": resumption.case.reference_no},
        )
    before = snapshot(record)
    record = workflow.perform(record, "resume", by=by, grade=resumption.grade)
    history_add(
        record=record,
        action=HistoryAction.RESUMED,
        by=by,
        case=resumption.case,
        changes=diff(before, snapshot(record)),
        note=note,
    )
    resumption.step_due = None
    resumption.decided_at = timezone.now()
    resumption.decision_note = note
    resumption.save(update_fields=["step_due", "decided_at", "decision_note"])
    common.message_family(
        resumption.case,
        subject=_("Resumption %(ref)s approved") % {"ref": resumption.case.reference_no},
        body=_("%(name)s is back at %(school)s in grade %(grade)d.")
        % {"name": record.name, "school": record.school.name, "grade": record.grade},
    )


def resumption_approve(*, resumption: Resumption, by, note: str = "", grade=None) -> Resumption:
    """The school approves and assigns the grade (400 for a grade outside the stage; 409 without the
    medical certificate or when the record is no longer suspended)."""
    # only the school whose step it is learns that the grade is wrong; anyone else gets perform's 403
    grade = clean_grade(resumption.record, grade) if resumption.whose_step(by) else None
    return workflow.perform(
        resumption,
        "approve",
        by=by,
        note=note,
        grade=grade,
        data={"grade": grade},
        then=lambda r: _resume_record(r, by=by, note=note),
    )


def resumption_reject(*, resumption: Resumption, by, note: str = "") -> Resumption:
    note = common.required_note(note)

    def closed(r):
        common.request_closed(r, subject=_("Resumption %(ref)s: %(what)s"), what=_("rejected"), note=note)

    return workflow.perform(resumption, "reject", by=by, note=note, then=closed)
