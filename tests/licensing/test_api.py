"""The contract's shapes (contracts/api-services.md, licensing/…), the per-role transition table, the public
lists and inspections, the licence PDF and its QR code."""

import datetime as dt
import os
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from licensing.models import ApplicationState as S
from licensing.models import InspectionCampaign, Inspector, Institution, ListEntry
from tests.factories import UserFactory
from tests.licensing.conftest import CREDIT, DEPARTMENTS, KEY_MATERIALS, form

pytestmark = pytest.mark.django_db
CODES = [c for c, _n in DEPARTMENTS]


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_create_and_detail_shape(rep, district, departments, enterprise):
    response = api(rep).post("/api/v1/licensing/applications/", form(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    keys = "reference_no service status checks deadline next_step events documents delivery kind"
    keys += " credit_code school_name level address capacity"
    for key in keys.split():
        assert key in body
    assert body["status"] == "awaiting_materials" and body["service"] == "PSL"
    assert {"name", "result", "reason"} <= set(body["checks"][0])
    detail = api(rep).get(f"/api/v1/licensing/applications/{body['reference_no']}/")
    assert detail.status_code == 200
    assert (
        api(UserFactory()).get(f"/api/v1/licensing/applications/{body['reference_no']}/").status_code == 404
    )
    listed = api(rep).get("/api/v1/licensing/applications/").json()
    assert listed["count"] == 1 and set(listed) == {"count", "next", "previous", "results"}


@pytest.mark.parametrize(
    "changes, field",
    [({"credit_code": "91350100M000100Y4Z"}, "credit_code"), ({"capacity": 0}, "capacity"),
     ({"kind": "merge"}, "kind"), ({"credit_code": "12"}, "credit_code")],
)  # fmt: skip
def test_bad_input_is_400_per_field(rep, district, departments, enterprise, changes, field):
    response = api(rep).post("/api/v1/licensing/applications/", form(**changes), format="json")
    assert response.status_code == 400 and field in response.json()


def test_upload_through_the_api(apply, rep):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import tiny_pdf

    application = apply()
    response = api(rep).post(
        f"/api/v1/licensing/applications/{application.case.reference_no}/attachments/",
        {"kind": "申办报告", "file": SimpleUploadedFile("a.pdf", tiny_pdf(), content_type="application/pdf")},
        format="multipart",
    )
    assert response.status_code == 201


def _state(apply, upload, bureau, decide, state):
    """An application brought to ``state`` through the services."""
    from licensing.services import application_approve

    application = apply()
    upload(application, *KEY_MATERIALS)
    if state == S.AWAITING_MATERIALS:
        return application
    application_approve(application=application, by=bureau, missing=["校舍租赁合同"])
    application.refresh_from_db()
    if state == S.IN_JOINT_REVIEW:
        return application
    for code in CODES:
        application = decide(application, code)
    if state == S.AWAITING_BUREAU:
        return application
    application_approve(application=application, by=bureau)  # 校舍租赁合同 still missing: no licence yet
    application.refresh_from_db()
    assert application.state == S.APPROVED
    return application


# per role and state: the answer to each action (200 allowed, 403 not this user's, 409 not now)
TABLE = [
    # role,      state,                action,        status
    ("applicant", S.AWAITING_MATERIALS, "approve", 403),
    ("applicant", S.IN_JOINT_REVIEW, "supplement", 409),  # nothing uploaded yet
    ("applicant", S.AWAITING_MATERIALS, "supplement", 409),  # nothing missing
    ("other", S.IN_JOINT_REVIEW, "approve", 404),
    ("bureau", S.AWAITING_MATERIALS, "approve", 200),  # 受理
    ("bureau", S.IN_JOINT_REVIEW, "approve", 409),  # the departments first
    ("bureau", S.AWAITING_BUREAU, "approve", 200),
    ("bureau", S.AWAITING_BUREAU, "reject", 200),
    ("bureau", S.IN_JOINT_REVIEW, "supplement", 403),
    ("auditor", S.AWAITING_BUREAU, "approve", 403),
    *[(f"reviewer:{c}", S.IN_JOINT_REVIEW, "approve", 200) for c in CODES],
    *[(f"reviewer:{c}", S.IN_JOINT_REVIEW, "reject", 200) for c in CODES],
    *[(f"reviewer:{c}", S.AWAITING_BUREAU, "approve", 409) for c in CODES],
    ("reviewer:FIRE", S.AWAITING_MATERIALS, "approve", 404),  # not sent to the department yet
    *[(f"reviewer:{c}", S.APPROVED, "reject", 409) for c in CODES],  # the joint review is over
    ("applicant", S.IN_JOINT_REVIEW, "withdraw", 200),
    ("applicant", S.AWAITING_BUREAU, "approve", 403),
    ("applicant", S.APPROVED, "withdraw", 409),  # decided
    ("applicant", S.APPROVED, "supplement", 409),  # not uploaded yet
    ("other", S.AWAITING_BUREAU, "approve", 404),
    ("bureau", S.AWAITING_MATERIALS, "reject", 200),
    ("bureau", S.IN_JOINT_REVIEW, "reject", 200),
    ("bureau", S.APPROVED, "approve", 409),
    ("bureau", S.APPROVED, "reject", 409),  # only for an overdue supplement
    ("auditor", S.IN_JOINT_REVIEW, "reject", 403),
]


@pytest.mark.parametrize("role, state, action, status", TABLE)
def test_transition_table(
    apply, upload, bureau, decide, reviewers, rep, district, role, state, action, status
):
    application = _state(apply, upload, bureau, decide, state)
    user = {
        "applicant": rep,
        "bureau": bureau,
        "other": UserFactory(),
        "auditor": UserFactory(auditor=True, district=district),
    }.get(role) or reviewers[role.split(":")[1]]
    events = application.case.events.count()
    response = api(user).post(
        f"/api/v1/licensing/applications/{application.case.reference_no}/actions/{action}/",
        {"note": "理由"},
        format="json",
    )
    assert response.status_code == status, response.content
    if status == 409:
        assert response.json()["detail"]
    application.refresh_from_db()
    if status != 200:  # a refusal changes nothing
        assert application.state == state and application.case.events.count() == events
    elif role.startswith("reviewer:"):
        review = application.reviews.get(department__code=role.split(":")[1])
        assert review.state == ("approved" if action == "approve" else "rejected")
    else:
        assert application.state != state


def test_five_departments_approving_one_after_another_move_it_once(accepted, decide):
    application = accepted()
    for code in CODES:
        application = decide(application, code)
    assert application.state == S.AWAITING_BUREAU
    assert application.case.events.filter(action="licensing.sent_to_bureau").count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql"
    and not os.environ.get("CI"),  # CI runs on PostgreSQL: never skipped there
    reason="threads need a server database",
)
@pytest.mark.django_db(transaction=True)
def test_five_departments_at_the_same_moment_move_it_once(accepted, reviewers):
    """Each approval locks the application's row first, so whichever is last sends it on, exactly once."""
    from licensing.services import review_decide
    from tests.threads import run_in_threads

    application = accepted()
    reviews = list(application.reviews.select_related("department"))
    barrier, queue = threading.Barrier(len(reviews)), list(reviews)
    lock = threading.Lock()

    def go():
        with lock:
            review = queue.pop()
        barrier.wait()
        review_decide(review=review, by=reviewers[review.department.code], approve=True, note="同意")

    assert run_in_threads(go, len(reviews)) == []
    application.refresh_from_db()
    assert application.state == S.AWAITING_BUREAU
    assert application.case.events.filter(action="licensing.sent_to_bureau").count() == 1


def test_licence_pdf_qr_verifies(accepted, decide, bureau, rep, client):
    from django.test import TestCase

    from licensing import licence
    from licensing.services import application_approve

    application = accepted()
    for code in CODES:
        application = decide(application, code)
    with TestCase.captureOnCommitCallbacks(execute=True):
        application_approve(application=application, by=bureau)
    body = api(rep).get(f"/api/v1/licensing/applications/{application.case.reference_no}/").json()
    assert body["status"] == "licence_issued"
    assert body["delivery"]["status"] in ("created", "in_transit") and body["delivery"]["tracking_no"]
    (document,) = body["documents"]
    assert document["status"] == "valid" and "/verify/" in document["verify_url"]
    application.refresh_from_db()
    context_url = licence.verify_url(licence.licence_document(application))
    assert context_url == document["verify_url"]
    code = context_url.rstrip("/").rsplit("/", 1)[1]
    verified = client.get(f"/api/v1/verify/{code}/").json()
    assert verified["valid"] is True and verified["document"] == "school_licence"
    pdf = api(rep).get(f"/api/v1/licensing/applications/{application.case.reference_no}/licence.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_public_lists_shape(db):
    ListEntry.objects.create(
        list_kind="white", name="秀洲区启明学校", credit_code=CREDIT, reason="年检优秀", source="区教育局",
        starts_on=dt.date(2025, 1, 1),
    )  # fmt: skip
    ListEntry.objects.create(
        list_kind="black", name="王𠈌明", sponsor_id_hash="x" * 64, reason="抽逃办学资金", source="区教育局",
        starts_on=dt.date(2025, 3, 1),
    )  # fmt: skip
    ListEntry.objects.create(
        list_kind="black", name="过期机构", credit_code=CREDIT, reason="已过期", source="区教育局",
        starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2021, 1, 1),
    )  # fmt: skip
    body = APIClient().get("/api/v1/licensing/lists/").json()
    assert set(body) == {"white", "black"}
    assert [e["name"] for e in body["white"]] == ["秀洲区启明学校"]
    assert [e["name"] for e in body["black"]] == ["王*明"]  # a sponsor masked; the expired entry gone
    assert set(body["white"][0]) == {"name", "credit_code", "reason", "source", "starts_on", "ends_on"}
    page = APIClient().get("/licensing/lists/")
    assert page.status_code == 200 and "抽逃办学资金" in page.content.decode()


def test_inspections_draw_publish_and_recompute(district, rep, bureau):
    from licensing import draw
    from licensing.services import campaign_draw, campaign_publish, inspection_record

    institutions = [
        Institution.objects.create(
            credit_code=f"CODE{i:02d}", name=f"学校{i}", representative=rep, licensed=True
        )
        for i in range(10)
    ]
    inspectors = [Inspector.objects.create(code=f"I{i}", name=f"检查员{i}") for i in range(4)]
    inspectors[0].linked_institutions.set(institutions)  # linked to every institution: never drawn
    campaign = InspectionCampaign.objects.create(district=district, name="2026年双随机检查", share_percent=30)
    campaign.inspectors.set(inspectors)
    assert APIClient().get("/api/v1/licensing/inspections/").json()["results"] == []  # not published
    campaign = campaign_draw(campaign=campaign, by=bureau, seed="2026-licensing")
    drawn = list(campaign.inspections.all())
    assert len(drawn) == 3
    for inspection in drawn:
        codes = set(inspection.inspectors.values_list("code", flat=True))
        assert len(codes) == 2 and "I0" not in codes
        inspection_record(inspection=inspection, by=bureau, result="compliant", findings="符合")
    campaign_publish(campaign=campaign, by=bureau)
    body = APIClient().get("/api/v1/licensing/inspections/").json()
    (published,) = body["results"]
    assert published["seed"] == "2026-licensing"
    recomputed = draw.draw(
        institutions=[i.credit_code for i in institutions],
        inspectors={"I0": {i.credit_code for i in institutions}, "I1": set(), "I2": set(), "I3": set()},
        share_percent=30,
        seed="2026-licensing",
    )
    assert [(i["credit_code"], i["inspectors"]) for i in published["inspections"]] == [
        (code, list(who)) for code, who in recomputed
    ]
    assert {i["result"] for i in published["inspections"]} == {"compliant"}
    assert APIClient().get("/licensing/inspections/").status_code == 200
