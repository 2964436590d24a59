"""Public notice (公示), objections, and final admission: admission notice PDF with QR verification, a
message to each family, the student record (学籍号 = G + ID number)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from admission import objections, services
from admission.models import Placement, PlacementState, SeatLedger
from enrollment.notice import read_notice_token
from portal.cases.workflow import ActionNotAllowed
from portal.notices.models import Objection
from portal.notify.models import Message
from studentstatus.models import StudentRecord
from tests.admission import factories as F
from tests.factories import UserFactory
from tests.i18n import zh

TODAY = dt.date(2027, 5, 10)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    from portal.cases import services as case_services

    monkeypatch.setattr(case_services, "local_today", lambda: TODAY)


@pytest.fixture
def drawn(town):
    d = town["district"]
    names = ["张晓明", "李晓华", "王晓军"]
    apps = [F.qualified(d, town["north"], date=f"201{i}-01-01", name=names[i]) for i in range(3)]
    round_ = services.round_for(district=d, year=2027, stage="primary")
    run = services.allocation_start(round_=round_, by=None, seed="notice-test", queue=False)
    services.allocation_execute(run_id=run.pk)
    return {**town, "apps": apps, "round": round_}


def test_the_public_notice_is_masked_and_shows_the_seed_and_the_recompute_files(client, drawn):
    response = client.get(reverse("admission:notice", args=["N01", 2027]))
    assert response.status_code == 200
    html = response.content.decode()
    app = drawn["apps"][0]
    assert "张*明" in html and "张晓明" not in html
    assert app.child_id_number not in html and app.child_id_number[-4:] in html
    assert "notice-test" in html and "recompute.py" in html
    assert client.get(reverse("admission:notices")).status_code == 200
    run = Placement.objects.filter(run__isnull=False).first().run
    inputs = client.get(reverse("admission:run_inputs", args=[run.pk]))
    assert inputs.status_code == 200 and b'"seed":"notice-test"' in b"".join(inputs.streaming_content)
    assert client.get(reverse("admission:tool", args=["recompute.py"])).status_code == 200
    assert client.get(reverse("admission:tool", args=["settings.py"])).status_code == 404


def test_nothing_is_final_during_the_notice_period(drawn):
    assert services.finalise_all_due(today=TODAY) == {}
    placement = Placement.objects.first()
    assert services.placement_finalise(placement_id=placement.pk, today=placement.notice_until) == "not_due"


def test_after_the_notice_period_the_admission_is_final(drawn, client):
    placement = Placement.objects.select_related("application").first()
    app = placement.application
    after = placement.notice_until + dt.timedelta(days=1)
    assert services.finalise_all_due(today=after) == {"admitted": 3}
    app.refresh_from_db()
    placement.refresh_from_db()
    assert (app.state, app.school_id, placement.state) == (
        "admitted",
        placement.school_id,
        PlacementState.FINAL,
    )
    assert app.case.status == "done"
    record = StudentRecord.objects.get(source_case=app.case)
    assert record.student_no == "G" + app.child_id_number
    assert (record.school_id, record.grade, record.stage) == (placement.school_id, 1, "primary")
    message = Message.objects.filter(
        recipient=app.guardian, subject__contains=zh("Admission notice: %(child)s, %(school)s")
    ).get()
    assert record.masked_student_no in message.body and "/admission/admission-notice/" in message.body
    assert services.placement_finalise(placement_id=placement.pk, today=after) == "skipped"  # idempotent

    client.force_login(app.guardian)
    pdf = client.get(reverse("admission:notice_pdf", args=[app.case.reference_no]))
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    import io

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "录取通知书" in text
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(reverse("admission:notice_pdf", args=[app.case.reference_no])).status_code == 404


def test_the_admission_notice_qr_verifies_the_school(drawn, client):
    from enrollment.notice import NoticeClaim, legacy_verification_url, make_notice_token
    from portal.documents.models import DocumentKind, IssuedDocument

    placement = Placement.objects.select_related("application__case", "school").first()
    services.finalise_all_due(today=placement.notice_until + dt.timedelta(days=1))
    code = placement.school.code
    document = IssuedDocument.objects.get(
        case=placement.application.case, kind=DocumentKind.ADMISSION_NOTICE
    )  # registered at admission, superseding the place notice
    assert document.is_valid and document.fingerprint == code
    response = client.get(f"/verify/{document.code}/")
    assert response.status_code == 200 and placement.school.name in response.content.decode()
    token = make_notice_token(NoticeClaim("admission", placement.application.case.reference_no, code))
    assert read_notice_token(token).school_code == code
    legacy = client.get(legacy_verification_url(token).removeprefix("http://127.0.0.1:8000"))
    assert legacy.status_code == 302 and legacy["Location"] == f"/verify/{document.code}/"


def test_a_withdrawn_application_loses_its_seat_at_finalisation(drawn):
    from enrollment.services import application_withdraw

    app = drawn["apps"][0]
    application_withdraw(application=app, by=app.guardian)
    placement = Placement.objects.get(application=app)
    assert (
        services.placement_finalise(
            placement_id=placement.pk, today=placement.notice_until + dt.timedelta(days=1)
        )
        == "revoked"
    )
    placement.refresh_from_db()
    assert placement.state == PlacementState.REVOKED
    assert SeatLedger.objects.get(school=placement.school).taken == 1


def test_an_objection_opens_a_review_case_and_holds_the_school_until_decided(drawn):
    objector = UserFactory()
    target = Placement.objects.filter(school=drawn["north"]).order_by("seat_no").first()
    objection = objections.objection_submit(
        by=objector,
        school=drawn["north"],
        entry_no=target.seat_no,
        reason="该生实际居住地不在本施教区，房产已于去年出售。",
    )
    case = objection.case
    assert case.service.code == "ADO" and case.status == "in_progress"
    assert case.events.filter(action="notices.objection_raised").exists()
    after = target.notice_until + dt.timedelta(days=1)
    outcomes = services.finalise_all_due(today=after)
    assert outcomes.get("admitted", 0) == 1  # MIDDLE's redistributed child; NORTH is held
    assert services.placement_finalise(placement_id=target.pk, today=after) == "held"

    bureau = UserFactory(bureau=True, district=drawn["district"])
    with pytest.raises(PermissionDenied):
        objections.objection_decide(objection=objection, by=UserFactory(), uphold=True, note="x")
    with pytest.raises(ValidationError) as err:
        objections.objection_decide(objection=objection, by=bureau, uphold=True, note="")
    assert "note" in err.value.message_dict
    objections.objection_decide(
        objection=objection, by=bureau, uphold=True, note="经核查属实，取消该生录取。", revoke_placement=True
    )
    objection.refresh_from_db()
    target.refresh_from_db()
    assert objection.state == "upheld" and objection.case.status == "done"
    assert target.state == PlacementState.REVOKED
    assert Message.objects.filter(recipient=objector, case=objection.case).exists()
    assert services.finalise_all_due(today=after) == {"admitted": 1}  # the rest of NORTH now


def test_objections_only_within_the_period_and_with_a_reason(drawn):
    objector = UserFactory()
    with pytest.raises(ValidationError) as err:
        objections.objection_submit(by=objector, school=drawn["north"], reason="短")
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        objections.objection_submit(
            by=objector, school=drawn["north"], entry_no=99, reason="理由足够长的一段异议说明文字。"
        )
    assert "entry_no" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        objections.objection_submit(
            by=objector, school=drawn["south"], reason="理由足够长的一段异议说明文字。"
        )
    assert "school" in err.value.message_dict  # SOUTH got nobody: no notice
    with pytest.raises(PermissionDenied):
        objections.objection_submit(
            by=UserFactory(bureau=True), school=drawn["north"], reason="理由足够长的一段异议说明文字。"
        )
    objections.objection_submit(by=objector, school=drawn["north"], reason="理由足够长的一段异议说明文字。")
    with pytest.raises(ActionNotAllowed):
        objections.objection_submit(
            by=objector, school=drawn["north"], reason="理由足够长的一段异议说明文字。"
        )
    assert Objection.objects.count() == 1


def test_the_objection_page_gives_field_errors_not_500(drawn, client):
    client.force_login(UserFactory())
    url = reverse("admission:object", args=["N01", 2027])
    assert client.get(url).status_code == 200
    response = client.post(url, {"entry_no": "abc", "reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"reason": "理由足够长的一段异议说明文字。"})
    assert response.status_code == 302 and Objection.objects.count() == 1


def test_zero_notice_days_makes_the_admission_final_at_once(town):
    from io import StringIO

    from django.core.management import call_command

    d = town["district"]
    app = F.qualified(d, town["north"])
    round_ = services.round_for(district=d, year=2027, stage="primary")
    round_.notice_working_days = 0
    round_.save()
    call_command("allocate", "--year", "2027", "--stage", "primary", "--seed", "z", stdout=StringIO())
    app.refresh_from_db()
    assert (app.state, app.school.code) == ("admitted", "N01")  # contracts/api-enrollment.md
