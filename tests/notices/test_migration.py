"""Admission's objections move into the kernel's notices with their ids, review cases and decisions."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("admission", "0003_delete_studentrecord"), ("notices", "0001_initial")]
AFTER = [("admission", "0004_objections_to_notices")]


@pytest.mark.django_db(transaction=True)
def test_admission_objections_become_kernel_objections():
    from tests.admission import factories as F
    from tests.factories import UserFactory

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    d = F.district()
    north = F.school(d, "N01", 2, 30.0, 120.0)
    app = F.qualified(d, north, name="张晓明")
    objector = UserFactory()
    Round = old.get_model("admission", "AdmissionRound")
    Placement = old.get_model("admission", "Placement")
    OldObjection = old.get_model("admission", "Objection")
    Case = old.get_model("cases", "Case")
    round_ = Round.objects.create(district_id=d.pk, year=2027, stage="primary", notice_working_days=5)
    placement = Placement.objects.create(
        round=round_,
        application_id=app.pk,
        school_id=north.pk,
        year=2027,
        seat_no=1,
        how="zone",
        state="on_notice",
        notice_from=dt.date(2027, 5, 10),
        notice_until=dt.date(2027, 5, 17),
    )
    review = Case.objects.create(
        reference_no="JY-ADO-2027-000001",
        service_id=old.get_model("catalog", "ServiceItem").objects.get(code="ADO").pk,
        applicant_id=objector.pk,
        subject_name="北校公示",
        channel="online",
        district_id=d.pk,
        accepted_on=dt.date(2027, 5, 11),
        status="in_progress",
    )
    OldObjection.objects.create(
        pk=41,
        case=review,
        round=round_,
        school_id=north.pk,
        placement=placement,
        reason="理由足够长的异议说明文字。",
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Objection = new.get_model("notices", "Objection")
    objection = Objection.objects.get(pk=41)
    assert (objection.case_id, objection.by_id, objection.state) == (review.pk, objector.pk, "open")
    assert objection.text == "理由足够长的异议说明文字。"
    notice = objection.notice
    assert (notice.source, notice.school_id, notice.ends_on) == (
        f"admission-round:{round_.pk}",
        north.pk,
        dt.date(2027, 5, 17),
    )
    assert (objection.entry.position, objection.entry.name, objection.entry.case_id) == (
        1,
        "张*明",
        app.case_id,
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
