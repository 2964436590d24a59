"""The way of an application: registry check, 容缺, the parallel joint review, the bureau, the licence,
its delivery; a change supersedes and a termination revokes it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from licensing.models import ApplicationState as S
from licensing.models import Institution
from licensing.services import application_approve, application_reject, application_supplement
from portal.cases.workflow import ActionNotAllowed
from portal.deliveries.models import Delivery
from portal.documents.models import DocumentStatus, IssuedDocument
from tests.licensing.conftest import DEPARTMENTS

pytestmark = pytest.mark.django_db
CODES = [c for c, _n in DEPARTMENTS]


def test_apply_checks_market_regulation(apply):
    application = apply()
    assert application.state == S.AWAITING_MATERIALS
    assert application.checks[0]["name"] == "credit_code" and application.checks[0]["result"] == "pass"
    assert application.case.reference_no.startswith("JY-PSL-")


def test_all_departments_approving_in_any_order_goes_to_the_bureau_once(accepted, decide, bureau):
    application = accepted()
    assert application.state == S.IN_JOINT_REVIEW
    assert sorted(application.reviews.values_list("department__code", flat=True)) == sorted(CODES)
    for code in reversed(CODES[1:]):
        application = decide(application, code)
        assert application.state == S.IN_JOINT_REVIEW
    application = decide(application, CODES[0])
    assert application.state == S.AWAITING_BUREAU
    assert application.case.events.filter(action="licensing.sent_to_bureau").count() == 1
    application_approve(application=application, by=bureau, note="同意设立")
    application.refresh_from_db()
    assert application.state == S.LICENCE_ISSUED and application.licence_no.startswith("教民330411")
    document = IssuedDocument.objects.get(case=application.case)
    assert document.kind == "school_licence" and document.status == DocumentStatus.VALID


def test_one_department_rejecting_returns_it_with_the_reason(accepted, decide):
    application = accepted()
    decide(application, "MARKET")
    application = decide(application, "FIRE", approve=False, note="疏散通道不符合要求")
    assert application.state == S.REJECTED
    assert application.case.status == "rejected"
    assert "疏散通道不符合要求" in application.case.next_step
    states = dict(application.reviews.values_list("department__code", "state"))
    assert states["MARKET"] == "approved" and states["FIRE"] == "rejected" and states["CIVIL"] == "cancelled"


def test_a_department_cannot_decide_for_another(accepted, reviewers):
    from licensing.services import review_decide

    application = accepted()
    review = application.reviews.get(department__code="FIRE")
    with pytest.raises(PermissionDenied):
        review_decide(review=review, by=reviewers["ENV"], approve=True)


def test_wrong_credit_code_is_a_field_error(apply):
    with pytest.raises(ValidationError) as exc:
        apply(credit_code="91350100M000100Y4Z")
    assert "credit_code" in exc.value.message_dict


def test_registry_mismatch_is_403_and_unknown_code_a_field_error(apply, enterprise):
    from sandbox import models as reg

    reg.Enterprise.objects.filter(pk=enterprise.pk).update(legal_rep_id="110101199003074477")
    with pytest.raises(PermissionDenied):
        apply()
    reg.Enterprise.objects.all().delete()
    with pytest.raises(ValidationError) as exc:
        apply()
    assert "credit_code" in exc.value.message_dict


def test_blacklisted_institution_or_sponsor_is_refused(apply, rep):
    import datetime as dt

    from licensing.models import ListEntry
    from portal.core import pii
    from tests.licensing.conftest import CREDIT

    entry = ListEntry.objects.create(
        list_kind="black", name="某机构", credit_code=CREDIT, reason="虚假宣传", source="区教育局",
        starts_on=dt.date(2024, 1, 1),
    )  # fmt: skip
    with pytest.raises(ActionNotAllowed) as exc:
        apply()
    assert "虚假宣传" in exc.value.messages[0]
    entry.credit_code, entry.sponsor_id_hash, entry.name = "", pii.keyed_hash(rep.id_number), rep.real_name
    entry.save()
    with pytest.raises(ActionNotAllowed):
        apply()


def test_rongque_supplement_in_time_then_licence(accepted, decide, bureau, upload):
    application = accepted(missing=["校舍租赁合同"])
    assert application.missing_materials == ["校舍租赁合同"] and application.supplement_due
    for code in CODES:
        application = decide(application, code)
    application_approve(application=application, by=bureau)
    application.refresh_from_db()
    assert application.state == S.APPROVED  # the licence waits for the supplement
    with pytest.raises(ActionNotAllowed):
        application_supplement(application=application, by=application.applicant)  # not uploaded yet
    upload(application, "校舍租赁合同")
    application_supplement(application=application, by=application.applicant)
    application.refresh_from_db()
    assert application.state == S.LICENCE_ISSUED and not application.missing_materials


def test_key_material_cannot_be_missing(apply, upload, bureau):
    from tests.licensing.conftest import KEY_MATERIALS

    application = apply()
    with pytest.raises(ActionNotAllowed):
        application_approve(application=application, by=bureau)  # key materials not uploaded
    upload(application, *KEY_MATERIALS)
    with pytest.raises(ActionNotAllowed):
        application_approve(application=application, by=bureau, missing=["申办报告"])


def test_overdue_supplement_is_flagged_then_rejected(accepted, decide, bureau, rep):
    import datetime as dt

    from licensing.models import Application
    from licensing.services import flag_overdue
    from portal.notify.models import Message

    application = accepted(missing=["校舍租赁合同"])
    for code in CODES:
        application = decide(application, code)
    application_approve(application=application, by=bureau)
    application.refresh_from_db()
    with pytest.raises(ActionNotAllowed):
        application_reject(application=application, by=bureau, note="逾期未补正")
    Application.objects.filter(pk=application.pk).update(supplement_due=dt.date(2020, 1, 1))
    before = Message.objects.filter(recipient=rep, case=application.case).count()
    assert flag_overdue()["supplements"] == 1
    assert flag_overdue()["supplements"] == 0  # once
    assert Message.objects.filter(recipient=rep, case=application.case).count() == before + 1
    assert application.case.events.filter(action="licensing.supplement_overdue").count() == 1
    application.refresh_from_db()
    application_reject(application=application, by=bureau, note="逾期未补正")
    application.refresh_from_db()
    assert application.state == S.REJECTED


def test_overdue_department_review_is_flagged(accepted, reviewers):
    import datetime as dt

    from licensing.models import DepartmentReview
    from licensing.services import flag_overdue

    application = accepted()
    review = application.reviews.get(department__code="FIRE")
    assert not review.is_overdue()
    DepartmentReview.objects.filter(pk=review.pk).update(due_on=dt.date(2020, 1, 2))
    review.refresh_from_db()
    assert review.is_overdue()
    assert flag_overdue()["reviews"] == 1
    review.refresh_from_db()
    assert review.overdue_flagged_at is not None
    assert application.case.events.filter(action="licensing.review_overdue").count() == 1


def _licensed(accepted, decide, bureau, **changes):
    from django.test import TestCase

    application = accepted(**changes)
    for code in CODES:
        application = decide(application, code)
    with TestCase.captureOnCommitCallbacks(execute=True):
        application_approve(application=application, by=bureau)
    application.refresh_from_db()
    return application


def test_courier_delivered_callback_closes_the_case(accepted, decide, bureau, courier):
    application = _licensed(accepted, decide, bureau)
    delivery = Delivery.objects.get(case=application.case)
    assert delivery.tracking_no
    courier(delivery, "in_transit")
    application.refresh_from_db()
    assert application.state == S.LICENCE_ISSUED
    courier(delivery, "delivered")
    application.refresh_from_db()
    assert application.state == S.DELIVERED and application.case.status == "done"


def test_change_supersedes_and_termination_revokes(accepted, decide, bureau, client):
    first = _licensed(accepted, decide, bureau)
    old = IssuedDocument.objects.get(case=first.case)
    change = _licensed(accepted, decide, bureau, kind="change", capacity=600)
    old.refresh_from_db()
    new = IssuedDocument.objects.get(case=change.case)
    assert old.status == DocumentStatus.SUPERSEDED and new.status == DocumentStatus.VALID
    assert client.get(f"/api/v1/verify/{old.code}/").json()["status"] == "superseded"
    termination = _licensed(accepted, decide, bureau, kind="termination")
    assert termination.state == S.APPROVED and termination.case.status == "done"
    body = client.get(f"/api/v1/verify/{new.code}/").json()
    assert body["status"] == "revoked" and body["valid"] is False and body["document"] == "school_licence"
    assert not Institution.objects.get(credit_code=first.credit_code).licensed


def test_change_without_licence_is_refused(apply):
    with pytest.raises(ActionNotAllowed):
        apply(kind="change")
