"""The issue's "done when" tables: each kind of application from start to end with its own departments,
the black list (institution or sponsor) as a 409 naming the entry, every department able to return an
application, approvals in any order, the licence superseded by a change and revoked by a termination as
the verification page and API show, and linked inspectors never drawn for their institutions."""

import datetime as dt
import itertools
import random

import pytest
from django.test import TestCase
from rest_framework.test import APIClient

from licensing.models import ApplicationState as S
from licensing.models import (
    Inspection,
    InspectionCampaign,
    Inspector,
    Institution,
    ListEntry,
    ReviewDepartment,
)
from licensing.services import application_approve, campaign_draw
from portal.core import pii
from portal.documents.models import IssuedDocument
from tests.licensing.conftest import CREDIT, DEPARTMENTS, REP_NAME, form, key_uploads

pytestmark = pytest.mark.django_db
CODES = [c for c, _n in DEPARTMENTS]
PER_KIND = {  # the bureau's table (admin): which departments review which kind
    "preparation": ["FIRE", "HOUSING"],
    "establishment": CODES,
    "change": ["MARKET", "CIVIL"],
    "termination": ["CIVIL"],
}


@pytest.fixture
def configured(departments):
    by_code = {d.code: d for d in departments}
    for kind, codes in PER_KIND.items():
        for days, code in enumerate(codes, start=3):
            ReviewDepartment.objects.create(kind=kind, department=by_code[code], working_days=days)


@pytest.fixture
def through(apply, upload, bureau, decide):
    """An application of ``kind`` taken through acceptance, every department of its kind and the bureau."""

    def _through(kind, order=None):
        application = apply(kind=kind)
        upload(application, *key_uploads(application))
        with TestCase.captureOnCommitCallbacks(execute=True):
            application_approve(application=application, by=bureau)
        application.refresh_from_db()
        codes = list(application.reviews.values_list("department__code", flat=True))
        for code in order or codes:
            assert application.state == S.IN_JOINT_REVIEW
            application = decide(application, code)
        assert application.state == S.AWAITING_BUREAU
        with TestCase.captureOnCommitCallbacks(execute=True):
            application_approve(application=application, by=bureau)
        application.refresh_from_db()
        return application

    return _through


# kind → (state at the end, coarse case status, the kind's licence after it: valid / none / revoked)
KINDS = [
    ("preparation", S.APPROVED, "done", None),
    ("establishment", S.LICENCE_ISSUED, "in_progress", "valid"),
    ("change", S.LICENCE_ISSUED, "in_progress", "valid"),
    ("termination", S.APPROVED, "done", "revoked"),
]


@pytest.mark.parametrize("kind, end, case_status, licence", KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_of_application(configured, through, client, kind, end, case_status, licence):
    if kind in ("change", "termination"):
        through("establishment")  # a licence to change or terminate
    application = through(kind)
    assert sorted(application.reviews.values_list("department__code", flat=True)) == sorted(PER_KIND[kind])
    due = {r.department.code: r.due_on for r in application.reviews.select_related("department")}
    assert due[PER_KIND[kind][0]] <= due[PER_KIND[kind][-1]]  # each with its own period
    assert application.state == end and application.case.status == case_status
    documents = IssuedDocument.objects.filter(subject_key=f"licensing.institution:{CREDIT}").order_by("pk")
    if licence is None:
        assert not documents.exists() and not application.licence_no
    else:
        latest = documents.last()
        assert latest.status == licence
        verified = client.get(f"/api/v1/verify/{latest.code}/").json()
        assert verified["status"] == licence and verified["valid"] is (licence == "valid")
    assert Institution.objects.get(credit_code=CREDIT).licensed is (licence == "valid")


def test_change_supersedes_and_termination_revokes_on_the_verification_page(configured, through, client):
    first = through("establishment")
    first_code = IssuedDocument.objects.get(case=first.case).code
    change = through("change")
    second_code = IssuedDocument.objects.get(case=change.case).code
    assert change.licence_no != first.licence_no
    page = client.get(f"/verify/{first_code}/").content.decode()
    assert "verdict--superseded" in page
    assert "verdict--valid" in client.get(f"/verify/{second_code}/").content.decode()
    through("termination")
    assert "verdict--revoked" in client.get(f"/verify/{second_code}/").content.decode()
    assert client.get(f"/api/v1/verify/{second_code}/").json()["status"] == "revoked"


# who is on the black list → the answer to applying
BLACK = [
    ("institution", dict(credit_code=CREDIT, name="启明教育咨询有限公司"), 409, "启明教育咨询有限公司"),
    ("sponsor", dict(credit_code="", name=REP_NAME), 409, pii.mask_name(REP_NAME)),
    ("expired", dict(credit_code=CREDIT, name="某机构", ends_on=dt.date(2021, 1, 1)), 201, None),
    ("white list", dict(credit_code=CREDIT, name="某机构", list_kind="white"), 201, None),
]  # fmt: skip


@pytest.mark.parametrize("who, entry, status, shown", BLACK, ids=[b[0] for b in BLACK])
def test_blacklisted_institution_or_sponsor_is_409_naming_the_entry(
    rep, district, departments, enterprise, who, entry, status, shown
):
    fields = {"list_kind": "black", "reason": "抽逃办学资金", "source": "秀洲区教育局",
              "starts_on": dt.date(2020, 1, 1), **entry}  # fmt: skip
    if who == "sponsor":
        fields["sponsor_id_hash"] = pii.keyed_hash(rep.id_number)
    ListEntry.objects.create(**fields)
    client = APIClient()
    client.force_authenticate(rep)
    response = client.post("/api/v1/licensing/applications/", form(), format="json")
    assert response.status_code == status, response.content
    if status == 409:
        detail = response.json()["detail"]
        assert (
            shown in detail
            and "抽逃办学资金" in detail
            and "秀洲区教育局" in detail
            and "2020-01-01" in detail
        )
        if who == "sponsor":
            assert REP_NAME not in detail  # masked


@pytest.mark.parametrize("code", CODES)
def test_any_one_department_rejecting_returns_the_application(accepted, decide, code):
    application = accepted()
    for other in CODES:
        if other != code:
            application = decide(application, other)
            break
    application = decide(application, code, approve=False, note=f"{code} 不同意")
    assert application.state == S.REJECTED and application.case.status == "rejected"
    assert f"{code} 不同意" in application.case.next_step
    states = dict(application.reviews.values_list("department__code", "state"))
    assert states[code] == "rejected" and "pending" not in states.values()
    assert application.case.events.filter(action="licensing.sent_to_bureau").count() == 0


ORDERS = [list(p) for p in itertools.islice(itertools.permutations(CODES), 0, None, 29)]
ORDERS += [random.Random(seed).sample(CODES, len(CODES)) for seed in (1, 2)]


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_all_departments_approving_in_any_order(accepted, decide, order):
    application = accepted()
    for i, code in enumerate(order):
        assert application.state == S.IN_JOINT_REVIEW, f"moved on before {code} ({i} approvals)"
        application = decide(application, code)
    assert application.state == S.AWAITING_BUREAU
    assert application.case.events.filter(action="licensing.sent_to_bureau").count() == 1


# links of the pool (inspector → institutions by index) and seeds: a linked inspector is never drawn
LINKS = [
    ("one link each", {"I0": [0], "I1": [1], "I2": [2], "I3": [3], "I4": [4]}),
    ("one inspector linked to all but one", {"I0": [0, 1, 2, 3, 4, 5, 6, 7, 8]}),
    ("two eligible left", {"I0": [0, 1], "I1": [0, 1], "I2": [0]}),
    ("only one eligible", {"I0": [3], "I1": [3], "I2": [3], "I3": [3]}),
]


@pytest.mark.parametrize("name, links", LINKS, ids=[x[0] for x in LINKS])
def test_an_inspector_linked_to_an_institution_is_never_drawn_for_it(district, rep, bureau, name, links):
    institutions = [
        Institution.objects.create(
            credit_code=f"CODE{i:02d}", name=f"学校{i}", representative=rep, licensed=True
        )
        for i in range(10)
    ]
    inspectors = [Inspector.objects.create(code=f"I{i}", name=f"检查员{i}") for i in range(5)]
    for inspector in inspectors:
        inspector.linked_institutions.set([institutions[i] for i in links.get(inspector.code, [])])
    linked = {(code, f"CODE{i:02d}") for code, indexes in links.items() for i in indexes}
    drawn_pairs = 0
    for seed in range(12):
        campaign = InspectionCampaign.objects.create(district=district, name=f"抽查{seed}", share_percent=100)
        campaign.inspectors.set(inspectors)
        campaign_draw(campaign=campaign, by=bureau, seed=f"seed-{seed}")
        for inspection in Inspection.objects.filter(campaign=campaign).select_related("institution"):
            codes = list(inspection.inspectors.values_list("code", flat=True))
            eligible = 5 - sum(1 for c, inst in linked if inst == inspection.institution.credit_code)
            assert len(codes) == min(2, eligible)
            for code in codes:
                assert (code, inspection.institution.credit_code) not in linked
                drawn_pairs += 1
    assert drawn_pairs >= 12 * 10 * 1  # every institution drawn (100 %) and inspected
