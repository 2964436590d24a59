"""Reads: the cases of each kind a user may see, and the representation every page and the API show."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.accounts.models import Role
from portal.cases.selectors import case_summary
from portal.cases.workflow import allowed_actions
from studentstatus.models import Correction, Resumption, StudentRecord, Suspension, Transfer, TransferState

MODELS = {
    "transfers": Transfer,
    "suspensions": Suspension,
    "resumptions": Resumption,
    "corrections": Correction,
}


def cases_of(kind: str, user) -> QuerySet:
    """The ``kind`` cases ``user`` may see: their own; a clerk's school's (both schools of a transfer);
    the bureau's district's; everything for a superuser. Strangers see nothing."""
    model = MODELS[kind]
    qs = model.objects.select_related(
        "case", "case__service", "record", "record__school", "record__school__district"
    )
    if kind == "transfers":
        qs = qs.select_related("from_school", "to_school", "to_school__district")
    if user is None or not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == Role.CITIZEN:
        return qs.filter(case__applicant=user)
    if user.role == Role.CLERK and user.school_id:
        if kind == "transfers":
            return qs.filter(Q(from_school=user.school_id) | Q(to_school=user.school_id))
        return qs.filter(record__school=user.school_id)
    if user.role in (Role.BUREAU, Role.AUDITOR) and user.district_id:
        return qs.filter(case__district=user.district_id)
    return qs.none()


def case_of(kind: str, user, reference_no: str):
    return cases_of(kind, user).filter(case__reference_no=reference_no).first()


def records_of(user) -> QuerySet[StudentRecord]:
    qs = StudentRecord.objects.select_related("school")
    if user.is_superuser:
        return qs
    if user.role == Role.CLERK and user.school_id:
        return qs.filter(school=user.school_id)
    if user.role in (Role.BUREAU, Role.AUDITOR) and user.district_id:
        return qs.filter(school__district=user.district_id)
    if user.role == Role.CITIZEN:  # the guardian's children: those they have a case about
        from portal.cases.models import Case
        from portal.core import pii

        ids = {c.subject_id_number for c in Case.objects.filter(applicant=user).exclude(subject_id_number="")}
        return qs.filter(student_no_hash__in=[pii.keyed_hash("G" + i) for i in ids])
    return qs.none()


def record_for(id_number: str) -> StudentRecord | None:
    """The child's student record (学籍) by ID number (学籍号 = "G" + it), with its school; None when the
    child has none. The one way other services (after-school care, aid) read a pupil's school, grade,
    class and status."""
    from portal.core import pii

    return (
        StudentRecord.objects.select_related("school", "school__district")
        .filter(student_no_hash=pii.keyed_hash("G" + id_number))
        .first()
    )


def records_for(id_numbers) -> dict[str, StudentRecord]:
    """The student records of several children at once, by ID number (a roster's classes)."""
    from portal.core import pii

    by_hash = {pii.keyed_hash("G" + i): i for i in id_numbers}
    found = StudentRecord.objects.select_related("school").filter(student_no_hash__in=list(by_hash))
    return {by_hash[r.student_no_hash]: r for r in found}


def checks(kind: str, obj) -> list[dict]:
    if kind == "transfers":
        from studentstatus import seats

        running = obj.state in (TransferState.AWAITING_RECEIVING, TransferState.AWAITING_BUREAU)
        free = (
            seats.free_seats(school=obj.to_school, stage=obj.record.stage, grade=obj.grade)
            if running
            else None
        )
        return [
            {
                "name": "seat",
                "result": "pass" if free is None or free > 0 else "fail",
                "reason": "" if free is None else f"{obj.to_school.name} {obj.grade} 年级空余学位 {free}",
            }
        ]
    if kind in ("suspensions", "resumptions"):
        from studentstatus.models import HOSPITAL_CERTIFICATE, MEDICAL_CERTIFICATE

        kind_name = HOSPITAL_CERTIFICATE if kind == "suspensions" else MEDICAL_CERTIFICATE
        has = obj.case.attachments.filter(kind=kind_name).exists()
        return [{"name": kind_name, "result": "pass" if has else "pending", "reason": ""}]
    if kind == "corrections":
        return [
            {
                "name": "hukou",
                "result": obj.check_result or "pending",
                "reason": obj.check_reason,
            }
        ]
    return []


def representation(kind: str, obj, user) -> dict:
    case = obj.case
    summary = case_summary(case, user=user)
    running = not summary.closed
    data = {
        "reference_no": case.reference_no,
        "service": case.service.code,
        "status": obj.state,
        "status_label": str(obj.get_state_display()),
        "checks": checks(kind, obj),
        "deadline": obj.step_due.isoformat() if running and obj.step_due else None,
        "next_step": summary.next_step,
        "events": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "note": e.note,
            }
            for e in case.events.order_by("seq")
        ],
        "documents": [],
        "actions": allowed_actions(obj, user),
        "student_no": obj.record.masked_student_no,
        "student_name": obj.record.name,
        "school": obj.record.school.code,
    }
    if kind == "transfers":
        data |= {
            "from_school_code": obj.from_school.code,
            "to_school_code": obj.to_school.code,
            "grade": obj.grade,
            "reason": obj.reason,
        }
    elif kind == "suspensions":
        data |= {
            "months": obj.months,
            "reason": obj.reason,
            "starts_on": obj.starts_on.isoformat() if obj.starts_on else None,
            "ends_on": obj.ends_on.isoformat() if obj.ends_on else None,
        }
    elif kind == "resumptions":
        data |= {"grade": obj.grade}
    elif kind == "corrections":
        data |= {
            "field": obj.field,
            "new_value": obj.new_value,
            "old_value": obj.old_value,
            "registry_value": obj.registry_value if user is None or user.role != Role.CITIZEN else "",
        }
    return data


# --- reads for the school services (aid, after-school care) ------------------------------------------


def record_for_id_number(id_number: str) -> StudentRecord | None:
    """The student record (学籍) of the child with this ID number, with its school; None if none."""
    from studentstatus.services.records import record_by_id_number

    return record_by_id_number(id_number)


def enrolled_records(*, stages=None, district=None) -> QuerySet[StudentRecord]:
    """Every record currently enrolled (optionally of ``stages`` and at schools of ``district``), for
    services that scan the roll (aid's finder); iterate with ``.iterator()``."""
    qs = StudentRecord.objects.filter(status="enrolled").select_related("school", "source_case")
    if stages:
        qs = qs.filter(stage__in=list(stages))
    if district is not None:
        qs = qs.filter(school__district=district)
    return qs.order_by("pk")
