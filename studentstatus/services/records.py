"""Writes of the student record itself: enrol (from admissions and rosters), move, and the history row
every change leaves. Called by the services of this app and by the services that create records."""

from __future__ import annotations

from django.db import transaction

from portal.cases import workflow
from portal.core import pii
from portal.core.idcodes import birth_date_from_id, gender_from_id, normalize_id_number
from studentstatus.models import HistoryAction, RecordStatus, StudentRecord, StudentRecordHistory

TRACKED = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "school_id",
    "stage",
    "entry_year",
    "grade",
    "class_name",
)


def _value(record, name):
    value = getattr(record, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


def snapshot(record: StudentRecord) -> dict:
    return {name: _value(record, name) for name in (*TRACKED, "status")}


def diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def history_add(*, record, action: str, by=None, case=None, changes: dict | None = None, note: str = ""):
    return StudentRecordHistory.objects.create(
        record=record, action=action, by=by, case=case, changes=changes or {}, note=(note or "")[:300]
    )


def student_no_for(id_number: str) -> str:
    return "G" + normalize_id_number(id_number)


def record_by_id_number(id_number: str, *, lock: bool = False) -> StudentRecord | None:
    qs = StudentRecord.objects.select_related("school", "school__district")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.filter(student_no_hash=pii.keyed_hash(student_no_for(id_number))).first()


def record_enrol(
    *,
    id_number: str,
    name: str,
    school,
    stage: str,
    entry_year: int,
    grade: int,
    source_case=None,
    by=None,
    gender: str = "",
    birth_date=None,
    class_name: str = "",
    action: str = HistoryAction.ENROLLED,
    note: str = "",
) -> tuple[StudentRecord, bool]:
    """Create or update the child's record (found by the keyed hash of 学籍号) on ``school``'s roll and
    keep the change in the history. Returns (record, changed): nothing changes — and no history row is
    written — when the record already says all of it (so loading a roster twice changes nothing)."""
    id_number = normalize_id_number(id_number)
    wanted = {
        "name": name,
        "gender": gender or gender_from_id(id_number),
        "birth_date": birth_date or birth_date_from_id(id_number),
        "school_id": school.pk,
        "stage": stage,
        "entry_year": entry_year,
        "grade": grade,
    }
    if class_name:
        wanted["class_name"] = class_name
    with transaction.atomic():
        record = record_by_id_number(id_number, lock=True)
        if record is None:
            record = StudentRecord(student_no="G" + id_number, source_case=source_case, **wanted)
            record.save()
            history_add(
                record=record,
                action=HistoryAction.CREATED if action == HistoryAction.ENROLLED else action,
                by=by,
                case=source_case,
                changes=diff({}, snapshot(record)),
                note=note,
            )
            return record, True
        before = snapshot(record)
        for field, value in wanted.items():
            setattr(record, field, value)
        if source_case is not None:
            record.source_case = source_case
        if record.status != RecordStatus.ENROLLED:
            record.save()
            record = workflow.perform(record, "enrol", by=by)
        changes = diff(before, snapshot(record))
        if not changes:
            return record, False
        record.save()
        history_add(record=record, action=action, by=by, case=source_case, changes=changes, note=note)
        return record, True
