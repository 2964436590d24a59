"""Corrections (信息更正): the new value is checked against 户籍 through the exchange (the sandbox registry);
a match is approved at once (秒批) and the record corrected, a mismatch goes to the school with the
registry's value; the ID number cannot be changed here; who may act."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.cases.workflow import ActionNotAllowed
from portal.notify.models import Message
from sandbox.models import SourceFault
from studentstatus import selectors
from studentstatus.models import CorrectionState, HistoryAction, StudentRecord
from studentstatus.services import corrections
from tests.factories import UserFactory
from tests.i18n import zh
from tests.studentstatus.leave_helpers import no_archive_packages  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("no_archive_packages")


def _apply(family, field, value, capture):
    with capture(execute=True):  # the 户籍 check is queued on commit (a task, eager in tests)
        correction = corrections.correction_apply(
            guardian=family.guardian, student_id_number=family.child_id, field=field, new_value=value
        )
    correction.refresh_from_db()
    return correction


def _record(family):
    return StudentRecord.objects.get(pk=family.record.pk)


# (field, what the registry says, what the record says before, new value, expected state)
CHECKS = [
    ("name", {"name": "王小明"}, {"name": "王小名"}, "王小明", CorrectionState.APPROVED),
    ("name", {}, {"name": "王小名"}, "王大明", CorrectionState.NEEDS_REVIEW),
    ("gender", {"gender": "F"}, {}, "F", CorrectionState.APPROVED),
    ("gender", {}, {}, "女", CorrectionState.NEEDS_REVIEW),  # 女 is F; the registry says M
    ("birth_date", {"birth_date": "2018-05-02"}, {}, "2018-05-02", CorrectionState.APPROVED),
    ("birth_date", {}, {}, "2018-06-01", CorrectionState.NEEDS_REVIEW),
    ("ethnicity", {}, {"ethnicity": "汉族"}, "回族", CorrectionState.NEEDS_REVIEW),  # 户籍 does not share it
]


@pytest.mark.parametrize(("field", "registry", "before", "value", "state"), CHECKS)
def test_match_is_approved_at_once_and_a_mismatch_goes_to_the_school(
    family, staff, django_capture_on_commit_callbacks, field, registry, before, value, state
):
    family.load(**registry)
    StudentRecord.objects.filter(pk=family.record.pk).update(**before)  # the record's wrong value (set-up)
    correction = _apply(family, field, value, django_capture_on_commit_callbacks)
    assert correction.state == state
    record = _record(family)
    stored = getattr(record, field)
    stored = stored.isoformat() if hasattr(stored, "isoformat") else stored
    if state == CorrectionState.APPROVED:
        assert correction.check_result == "pass" and correction.case.status == "done"
        assert stored == correction.new_value
        corrected = record.history.get(action=HistoryAction.CORRECTED)
        assert corrected.case_id == correction.case_id and corrected.by is None
        assert corrected.changes[field][1] == correction.new_value
    else:
        assert correction.check_result in ("fail", "unavailable") and correction.step_due
        assert stored != correction.new_value
        assert Message.objects.filter(recipient=staff["P1"], case=correction.case).exists()
        shown_to_school = selectors.representation("corrections", correction, staff["P1"])
        shown_to_family = selectors.representation("corrections", correction, family.guardian)
        assert shown_to_family["registry_value"] == ""
        if field != "ethnicity":
            expected = {"name": "王小𠀀", "gender": "M", "birth_date": "2018-05-01"}[field]
            assert correction.registry_value == expected == shown_to_school["registry_value"]
        # the school decides, seeing the registry's value
        corrections.correction_approve(correction=correction, by=staff["P1"], note="核对出生证明")
        after = getattr(_record(family), field)
        assert (after.isoformat() if hasattr(after, "isoformat") else after) == correction.new_value
        assert _record(family).history.filter(action=HistoryAction.CORRECTED).count() == 1


def test_registry_down_sends_the_correction_to_the_school(family, staff, django_capture_on_commit_callbacks):
    family.load(name="王小明")
    with django_capture_on_commit_callbacks(execute=False):  # apply now, check after the registry fails
        correction = corrections.correction_apply(
            guardian=family.guardian, student_id_number=family.child_id, field="name", new_value="王小明"
        )
    SourceFault.objects.create(source="hukou", error_rate=1.0)
    corrections.correction_verify(correction_id=correction.pk)
    correction.refresh_from_db()
    assert (correction.state, correction.check_result) == (CorrectionState.NEEDS_REVIEW, "unavailable")
    assert corrections.correction_verify(correction_id=correction.pk) is None  # idempotent: decided


@pytest.mark.parametrize("field", ["id_number", "student_no"])
def test_the_id_number_cannot_be_changed_here(family, staff, field):
    with pytest.raises(ValidationError) as bad:
        corrections.correction_apply(
            guardian=family.guardian,
            student_id_number=family.child_id,
            field=field,
            new_value="330411201805010019",
        )
    assert list(bad.value.message_dict) == ["field"]
    assert (
        zh(
            "The ID number (and the student number made from it) cannot be changed here. Have the police "
            "station of the household registration correct it first; the school then updates the student "
            "record."
        )
        in bad.value.message_dict["field"][0]
    )


@pytest.mark.parametrize(
    ("field", "value", "error_on"),
    [
        ("nickname", "小明", "field"),
        ("name", "", "new_value"),
        ("name", "王小明2", "new_value"),
        ("gender", "X", "new_value"),
        ("birth_date", "2018/05/01", "new_value"),
        ("birth_date", "2031-01-01", "new_value"),  # in the future
        ("name", "王小𠀀", "new_value"),  # what the record already says
    ],
)
def test_bad_values_are_field_errors(family, staff, field, value, error_on):
    with pytest.raises(ValidationError) as bad:
        corrections.correction_apply(
            guardian=family.guardian, student_id_number=family.child_id, field=field, new_value=value
        )
    assert list(bad.value.message_dict) == [error_on]


def test_one_running_correction_per_item_and_another_family_is_403(
    family, staff, django_capture_on_commit_callbacks
):
    correction = _apply(family, "name", "王大明", django_capture_on_commit_callbacks)
    assert correction.state == CorrectionState.NEEDS_REVIEW
    with pytest.raises(ActionNotAllowed) as refused:
        _apply(family, "name", "王二明", django_capture_on_commit_callbacks)
    assert zh("This item is already being corrected.") in refused.value.messages[0]
    other = _apply(family, "birth_date", dt.date(2018, 5, 2).isoformat(), django_capture_on_commit_callbacks)
    assert other.state == CorrectionState.NEEDS_REVIEW
    with pytest.raises(PermissionDenied):
        corrections.correction_apply(
            guardian=UserFactory(), student_id_number=family.child_id, field="name", new_value="王大明"
        )


# who may act on a correction under review: (actor, action, allowed)
CORRECTION_ROLES = [
    ("P1", "approve", True),
    ("P2", "approve", False),
    ("bureau", "approve", False),
    ("guardian", "approve", False),
    ("P1", "reject", True),
    ("P2", "reject", False),
    ("guardian", "reject", False),
]


@pytest.mark.parametrize(("actor", "action", "allowed"), CORRECTION_ROLES)
def test_correction_per_role_transition_table(
    family, staff, django_capture_on_commit_callbacks, actor, action, allowed
):
    correction = _apply(family, "name", "王大明", django_capture_on_commit_callbacks)
    user = family.guardian if actor == "guardian" else staff[actor]
    act = {"approve": corrections.correction_approve, "reject": corrections.correction_reject}[action]
    if allowed:
        done = act(correction=correction, by=user, note="理由")
        assert done.state == (CorrectionState.APPROVED if action == "approve" else CorrectionState.REJECTED)
        assert (_record(family).name == "王大明") == (action == "approve")
    else:
        with pytest.raises(PermissionDenied):
            act(correction=correction, by=user, note="理由")
        correction.refresh_from_db()
        assert correction.state == CorrectionState.NEEDS_REVIEW


def test_the_system_steps_are_not_for_people(family, staff, django_capture_on_commit_callbacks):
    """match / mismatch are the registry check's own (permission: the system only)."""
    from portal.cases import workflow

    with django_capture_on_commit_callbacks(execute=False):
        correction = corrections.correction_apply(
            guardian=family.guardian, student_id_number=family.child_id, field="name", new_value="王大明"
        )
    for user in (staff["P1"], staff["bureau"], family.guardian):
        with pytest.raises(PermissionDenied):
            workflow.perform(correction, "match", by=user)
    with pytest.raises(ActionNotAllowed):  # not under review yet
        corrections.correction_approve(correction=correction, by=staff["P1"])
