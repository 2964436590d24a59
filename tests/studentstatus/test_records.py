"""The student record: created from admissions (record_enrol), found by keyed hash, every change kept."""

from portal.orgs.models import School
from studentstatus.models import HistoryAction, RecordStatus, StudentRecord
from studentstatus.services import record_by_id_number, record_enrol
from tests.studentstatus.conftest import new_id


def test_record_enrol_creates_then_moves_the_same_record_and_keeps_history(world):
    child = new_id("2014-02-03", male=False)
    p1, j1 = School.objects.get(code="P1"), School.objects.get(code="J1")
    record, changed = record_enrol(
        id_number=child, name="李𠀀", school=p1, stage="primary", entry_year=2020, grade=1, source_case=None
    )
    assert changed and record.student_no == "G" + child and record.gender == "F"
    assert record.birth_date.isoformat() == "2014-02-03" and record.status == RecordStatus.ENROLLED
    assert "*" in record.masked_student_no and child not in record.masked_student_no
    again, changed = record_enrol(
        id_number=child, name="李𠀀", school=p1, stage="primary", entry_year=2020, grade=1, source_case=None
    )
    assert (again.pk, changed) == (record.pk, False)
    moved, changed = record_enrol(
        id_number=child, name="李𠀀", school=j1, stage="junior", entry_year=2026, grade=7, source_case=None
    )
    assert changed and moved.pk == record.pk and StudentRecord.objects.count() == 1
    assert [h.action for h in moved.history.order_by("pk")] == [HistoryAction.CREATED, HistoryAction.ENROLLED]
    last = moved.history.order_by("pk").last()
    assert last.changes["school_id"] == [p1.pk, j1.pk] and last.changes["grade"] == [1, 7]
    assert record_by_id_number(child.lower()).pk == record.pk  # an x check digit in lower case too
