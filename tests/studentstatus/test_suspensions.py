"""Suspensions (休学) and resumptions (复学): the school then the bureau approve and the record is suspended;
months from 3 to 12 and never more than 24 in a row (409); a suspended student cannot transfer; the daily
reminders; the resumption assigns the grade; who may act at each step."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.cases.workflow import ActionNotAllowed
from portal.notify.models import Message
from studentstatus.models import (
    HistoryAction,
    RecordStatus,
    ResumptionState,
    StudentRecord,
    SuspensionState,
)
from studentstatus.services import resumptions, suspensions
from studentstatus.services.transfers import transfer_apply
from tests.factories import UserFactory
from tests.i18n import zh, zh_format
from tests.studentstatus.conftest import TODAY
from tests.studentstatus.leave_helpers import (
    apply_resumption,
    apply_suspension,
    approved_suspension,
    jpeg_upload,
    pdf_upload,
    png_upload,
)


def _record(family):
    return StudentRecord.objects.get(pk=family.record.pk)


def test_school_then_bureau_approve_and_the_record_is_suspended(family, staff):
    suspension = apply_suspension(family, months=6)
    assert suspension.state == SuspensionState.SUBMITTED and suspension.case.reference_no.startswith(
        "JY-SUS-"
    )
    assert suspension.step_due > TODAY and not suspension.is_extension
    assert Message.objects.filter(recipient=staff["P1"], case=suspension.case).exists()
    suspension = suspensions.suspension_approve(suspension=suspension, by=staff["P1"], note="同意")
    assert suspension.state == SuspensionState.SUBMITTED and suspension.school_approved_at is not None
    assert Message.objects.filter(recipient=staff["bureau"], case=suspension.case).exists()
    assert _record(family).status == RecordStatus.ENROLLED
    suspension = suspensions.suspension_approve(suspension=suspension, by=staff["bureau"])
    assert suspension.state == SuspensionState.APPROVED and suspension.case.status == "done"
    assert (suspension.starts_on, suspension.ends_on) == (TODAY, dt.date(2027, 9, 10))
    record = _record(family)
    assert record.status == RecordStatus.SUSPENDED
    history = record.history.get(action=HistoryAction.SUSPENDED)
    assert history.case_id == suspension.case_id and history.by == staff["bureau"]
    assert history.changes["status"] == ["enrolled", "suspended"]
    subjects = list(
        Message.objects.filter(recipient=family.guardian, case=suspension.case).values_list(
            "subject", flat=True
        )
    )
    for msgid in (
        "Suspension %(ref)s received",
        "Suspension %(ref)s: the school agreed",
        "Suspension %(ref)s approved",
    ):
        assert subjects.count(zh_format(msgid, ref=suspension.case.reference_no)) == 1, msgid
    actions = list(suspension.case.events.order_by("seq").values_list("action", flat=True))
    assert actions.count("studentstatus.suspension_approved") == 2


def test_no_approval_without_the_hospital_certificate(family, staff):
    suspension = apply_suspension(family, certificate=False)
    with pytest.raises(ActionNotAllowed) as refused:
        suspensions.suspension_approve(suspension=suspension, by=staff["P1"])
    assert zh("Upload the hospital certificate (医院诊断证明) first.") in refused.value.messages[0]


@pytest.mark.parametrize(
    ("upload", "kind", "ok"),
    [
        (pdf_upload, "hospital_certificate", True),
        (jpeg_upload, "hospital_certificate", True),
        (png_upload, "hospital_certificate", False),  # the kernel takes PNG; a certificate is PDF or JPEG
        (pdf_upload, "medical_certificate", False),  # the other certificate
    ],
)
def test_certificate_is_a_pdf_or_jpeg_of_the_right_kind(family, staff, upload, kind, ok):
    suspension = apply_suspension(family, certificate=False)
    if ok:
        attachment = suspensions.certificate_attach(
            obj=suspension, by=family.guardian, kind=kind, uploaded_file=upload()
        )
        assert attachment.kind == kind and suspension.case.attachments.count() == 1
    else:
        with pytest.raises(ValidationError):
            suspensions.certificate_attach(
                obj=suspension, by=family.guardian, kind=kind, uploaded_file=upload()
            )
        assert suspension.case.attachments.count() == 0


@pytest.mark.parametrize(
    ("months", "ok"),
    [(2, False), (3, True), ("12", True), (13, False), (0, False), (-3, False), ("six", False), ("", False)],
)
def test_months_from_3_to_12(family, staff, months, ok):
    if ok:
        assert apply_suspension(family, months=months, certificate=False).months == int(months)
    else:
        with pytest.raises(ValidationError) as bad:
            apply_suspension(family, months=months, certificate=False)
        assert set(bad.value.message_dict) == {"months"}


@pytest.mark.parametrize(
    ("running", "asked", "allowed"),
    [
        ([], 12, True),
        ([12], 12, True),  # exactly 24 in a row
        ([12], 13, None),  # 13 is out of range anyway (400)
        ([12, 9], 3, True),
        ([12, 9], 4, False),
        ([12, 12], 3, False),
    ],
)
def test_never_more_than_24_months_in_a_row(family, staff, running, asked, allowed):
    for months in running:
        approved_suspension(family, staff, months=months)
    if allowed is None:
        with pytest.raises(ValidationError):
            apply_suspension(family, months=asked)
    elif allowed:
        extension = apply_suspension(family, months=asked)
        assert extension.is_extension == bool(running)
    else:
        with pytest.raises(ActionNotAllowed) as refused:
            apply_suspension(family, months=asked)
        assert (
            zh("A suspension may last at most %(max)d months in a row; with this one it would be %(n)d.")
            in refused.value.messages[0]
        )
        assert str(sum(running) + asked) in refused.value.messages[0]


def test_an_extension_runs_on_from_the_end_and_a_resumption_ends_the_run(family, staff):
    first = approved_suspension(family, staff, months=12)
    extension = approved_suspension(family, staff, months=6)
    assert extension.is_extension and extension.starts_on == first.ends_on
    assert extension.ends_on == dt.date(2028, 9, 10)
    assert _record(family).status == RecordStatus.SUSPENDED
    assert _record(family).history.filter(action=HistoryAction.SUSPENDED).count() == 2
    resumption = apply_resumption(family)
    resumptions.resumption_approve(resumption=resumption, by=staff["P1"], grade=4)
    # the run is over: a new suspension may again last 24 months
    assert apply_suspension(family, months=12).is_extension is False


def test_a_suspended_student_cannot_transfer_and_the_two_exclude_each_other(family, staff):
    suspension = apply_suspension(family)
    with pytest.raises(ActionNotAllowed) as refused:  # under review
        transfer_apply(
            guardian=family.guardian, student_id_number=family.child_id, to_school_code="P2", reason="x"
        )
    assert (
        zh("The student has a suspension (休学) application under review; no transfer meanwhile.")
        in (refused.value.messages[0])
    )
    suspensions.suspension_approve(suspension=suspension, by=staff["P1"])
    suspensions.suspension_approve(suspension=suspension, by=staff["bureau"])
    with pytest.raises(ActionNotAllowed) as refused:  # suspended
        transfer_apply(
            guardian=family.guardian, student_id_number=family.child_id, to_school_code="P2", reason="x"
        )
    assert (
        zh("The student is suspended (休学); no transfer during a suspension.") in refused.value.messages[0]
    )


def test_a_running_transfer_refuses_a_suspension(family, staff):
    transfer_apply(
        guardian=family.guardian, student_id_number=family.child_id, to_school_code="P2", reason="x"
    )
    with pytest.raises(ActionNotAllowed) as refused:
        apply_suspension(family)
    assert zh("The student has a transfer running; no suspension meanwhile.") in refused.value.messages[0]


def test_one_application_under_review_and_another_family_is_403(family, staff):
    apply_suspension(family)
    with pytest.raises(ActionNotAllowed) as refused:
        apply_suspension(family)
    assert zh("The student already has a suspension application under review.") in refused.value.messages[0]
    with pytest.raises(PermissionDenied):
        suspensions.suspension_apply(
            guardian=UserFactory(), student_id_number=family.child_id, months=6, reason="x"
        )


# who may act on a suspension: (school approvals before, actor, action, allowed)
SUSPENSION_ROLES = [
    (0, "P1", "approve", True),
    (0, "P2", "approve", False),
    (0, "bureau", "approve", False),
    (0, "guardian", "approve", False),
    (0, "P1", "reject", True),
    (0, "bureau", "reject", False),
    (0, "guardian", "withdraw", True),
    (0, "P1", "withdraw", False),
    (1, "bureau", "approve", True),
    (1, "other_bureau", "approve", False),
    (1, "P1", "approve", False),
    (1, "bureau", "reject", True),
    (1, "P1", "reject", False),
    (1, "guardian", "withdraw", True),
    (1, "bureau", "withdraw", False),
]
SUSPENSION_ACTS = {
    "approve": suspensions.suspension_approve,
    "reject": suspensions.suspension_reject,
    "withdraw": suspensions.suspension_withdraw,
}


@pytest.mark.parametrize(("steps", "actor", "action", "allowed"), SUSPENSION_ROLES)
def test_suspension_per_role_transition_table(family, staff, steps, actor, action, allowed):
    suspension = apply_suspension(family)
    if steps:
        suspension = suspensions.suspension_approve(suspension=suspension, by=staff["P1"])
    user = family.guardian if actor == "guardian" else staff[actor]
    act = SUSPENSION_ACTS[action]
    if allowed:
        done = act(suspension=suspension, by=user, note="理由")
        expected = {
            "approve": SuspensionState.APPROVED if steps else SuspensionState.SUBMITTED,
            "reject": SuspensionState.REJECTED,
            "withdraw": SuspensionState.WITHDRAWN,
        }[action]
        assert done.state == expected
        assert (done.school_approved_at is not None) == (steps == 1 or (action == "approve"))
    else:
        with pytest.raises(PermissionDenied):
            act(suspension=suspension, by=user, note="理由")
        suspension.refresh_from_db()
        assert suspension.state == SuspensionState.SUBMITTED


def test_closed_suspension_is_409_and_reject_needs_a_reason(family, staff):
    suspension = apply_suspension(family)
    with pytest.raises(ValidationError):
        suspensions.suspension_reject(suspension=suspension, by=staff["P1"], note="")
    suspensions.suspension_reject(suspension=suspension, by=staff["P1"], note="证明不全")
    with pytest.raises(ActionNotAllowed):
        suspensions.suspension_approve(suspension=suspension, by=staff["P1"])
    assert _record(family).status == RecordStatus.ENROLLED


# --- the daily reminder -----------------------------------------------------------------------------


def _reminders(family, suspension):
    return Message.objects.filter(recipient=family.guardian, case=suspension.case).count()


def test_reminded_a_month_before_the_end_and_at_the_end_once_each(family, staff):
    suspension = approved_suspension(family, staff, months=3)  # 2027-03-10 → 2027-06-10
    base = _reminders(family, suspension)
    assert suspensions.suspensions_remind_due(today=dt.date(2027, 5, 1)) == {"before": 0, "end": 0}
    assert suspensions.suspensions_remind_due(today=dt.date(2027, 5, 12)) == {"before": 1, "end": 0}
    assert suspensions.suspensions_remind_due(today=dt.date(2027, 5, 13)) == {"before": 0, "end": 0}
    assert suspensions.suspensions_remind_due(today=dt.date(2027, 6, 10)) == {"before": 0, "end": 1}
    assert suspensions.suspensions_remind_due(today=dt.date(2027, 6, 11)) == {"before": 0, "end": 0}
    assert _reminders(family, suspension) == base + 2
    # the record stays suspended after the end until a resumption is approved
    assert _record(family).status == RecordStatus.SUSPENDED
    events = suspension.case.events.filter(action="studentstatus.suspension_reminded")
    assert sorted(e.data["reminder"] for e in events) == ["before", "end"]


def test_only_the_last_suspension_of_a_run_is_reminded(family, staff):
    first = approved_suspension(family, staff, months=3)
    extension = approved_suspension(family, staff, months=3)
    sent = suspensions.suspensions_remind_due(today=first.ends_on)
    assert sent == {"before": 0, "end": 0}
    sent = suspensions.suspensions_remind_due(today=extension.ends_on)
    assert sent == {"before": 0, "end": 1}


def test_the_daily_task_is_scheduled_and_calls_the_service(family, staff, settings, monkeypatch):
    from portal.cases import services as case_services
    from studentstatus import tasks

    schedule = [v["task"] for v in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "studentstatus.remind_suspensions" in schedule
    approved_suspension(family, staff, months=3)
    monkeypatch.setattr(case_services, "local_today", lambda: dt.date(2027, 6, 10))
    assert tasks.remind_suspensions.delay().get() == {"before": 0, "end": 1}


# --- resumption (复学) ------------------------------------------------------------------------------------


def test_resumption_assigns_the_grade_and_ends_the_suspension(family, staff):
    with pytest.raises(ActionNotAllowed) as refused:
        apply_resumption(family, certificate=False)
    assert zh("The student is not suspended (休学); there is nothing to resume.") in refused.value.messages[0]
    suspension = approved_suspension(family, staff)
    resumption = apply_resumption(family, certificate=False)
    assert resumption.state == ResumptionState.SUBMITTED and resumption.case.reference_no.startswith(
        "JY-SUS-"
    )
    with pytest.raises(ActionNotAllowed) as refused:
        resumptions.resumption_approve(resumption=resumption, by=staff["P1"], grade=4)
    assert (
        zh("Upload the medical certificate that allows the return to school first.")
        in refused.value.messages[0]
    )
    suspensions.certificate_attach(
        obj=resumption, by=family.guardian, kind="medical_certificate", uploaded_file=pdf_upload()
    )
    for bad in (9, 0, "x", None):  # a primary school's grades are 1–6
        with pytest.raises(ValidationError) as invalid:
            resumptions.resumption_approve(resumption=resumption, by=staff["P1"], grade=bad)
        assert set(invalid.value.message_dict) == {"grade"}
    resumption = resumptions.resumption_approve(resumption=resumption, by=staff["P1"], grade=4, note="复学")
    assert resumption.state == ResumptionState.APPROVED and resumption.grade == 4
    record = _record(family)
    assert (record.status, record.grade) == (RecordStatus.ENROLLED, 4)
    resumed = record.history.get(action=HistoryAction.RESUMED)
    assert resumed.changes["status"] == ["suspended", "enrolled"] and resumed.changes["grade"] == [3, 4]
    suspension.refresh_from_db()
    assert suspension.state == SuspensionState.ENDED
    assert Message.objects.filter(
        recipient=family.guardian, case=resumption.case, subject__contains="复学"
    ).exists()


RESUMPTION_ROLES = [
    ("P1", "approve", True),
    ("P2", "approve", False),
    ("bureau", "approve", False),
    ("guardian", "approve", False),
    ("P1", "reject", True),
    ("J1", "reject", False),
    ("guardian", "reject", False),
]


@pytest.mark.parametrize(("actor", "action", "allowed"), RESUMPTION_ROLES)
def test_resumption_per_role_transition_table(family, staff, actor, action, allowed):
    approved_suspension(family, staff)
    resumption = apply_resumption(family)
    user = family.guardian if actor == "guardian" else staff[actor]
    act = {"approve": resumptions.resumption_approve, "reject": resumptions.resumption_reject}[action]
    if allowed:
        done = act(
            resumption=resumption, by=user, note="理由", **({"grade": 3} if action == "approve" else {})
        )
        assert done.state == (ResumptionState.APPROVED if action == "approve" else ResumptionState.REJECTED)
    else:
        with pytest.raises(PermissionDenied):
            act(resumption=resumption, by=user, note="理由", **({"grade": 3} if action == "approve" else {}))
        resumption.refresh_from_db()
        assert resumption.state == ResumptionState.SUBMITTED
