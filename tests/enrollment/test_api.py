"""contracts/api-enrollment.md, Applications: every status code the contract names, the exact shape of an
application, and two guardians' phones submitting the same child at the same moment. Submissions go the
real way: token → view → service → signed look-ups to the sandbox registries → (on commit) checks."""

import threading

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from enrollment import services
from enrollment.models import Application, State
from tests.enrollment.conftest import YEAR, answers
from tests.factories import ApplicationFactory, DistrictFactory, SchoolFactory, UserFactory
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db

URL = "/api/v1/enrollment/applications/"
DETAIL_KEYS = {
    "reference_no",
    "year",
    "stage",
    "status",
    "category",
    "points",
    "sibling_reference_no",
    "checks",
    "school",
    "deadline",
    "events",
    "documents",  # contracts/api-services.md: every case's detail lists its issued documents
}


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def body(fam, **overrides) -> dict:
    """The JSON body of the contract; a field given as ``...`` is left out."""
    data = answers(fam, **({"sibling_reference_no": None} | overrides))
    return {k: v for k, v in data.items() if v is not ...}


def post(client, data, capture):
    with capture(execute=True):
        return client.post(URL, data, format="json")


# --- submit -----------------------------------------------------------------------------------------------


def test_submit_answers_201_with_the_application_and_the_checks_follow(
    family, django_capture_on_commit_callbacks
):
    fam = family.load()
    client = api(fam.guardian)
    response = post(client, body(fam), django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == DETAIL_KEYS
    assert created["status"] == "verifying"  # the checks run after the commit
    assert (created["year"], created["stage"]) == (YEAR, "primary")
    assert created["reference_no"].startswith("JY-ENR-")

    detail = client.get(f"{URL}{created['reference_no']}/").json()
    assert detail["status"] == "qualified"
    assert detail["category"] == "A"
    assert detail["school"] == {"code": "P1", "name": "实验小学"}
    assert {c["result"] for c in detail["checks"]} == {"pass"}
    assert "enrollment.qualified" in [e["action"] for e in detail["events"]]


def _bad_check_digit(fam):
    last = fam.child[-1]
    return fam.child[:-1] + ("1" if last != "1" else "2")


@pytest.mark.parametrize(
    "field, overrides",
    [
        ("child_id_number", lambda fam: {"child_id_number": _bad_check_digit(fam)}),
        ("child_id_number", lambda fam: {"child_id_number": "12345"}),
        ("other_guardian_id_number", lambda fam: {"other_guardian_id_number": _bad_check_digit(fam)}),
        ("other_guardian_id_number", lambda fam: {"other_guardian_id_number": None}),  # not single parent
        ("consent", lambda fam: {"consent": ...}),  # missing
        ("consent", lambda fam: {"consent": False}),
        ("stage", lambda fam: {"stage": "university"}),
        ("residence", lambda fam: {"residence": "castle"}),
        ("year", lambda fam: {"year": "next"}),
        ("year", lambda fam: {"year": YEAR + 3}),  # no rules: applications not open
        ("sibling_reference_no", lambda fam: {"sibling_reference_no": "JY-ENR-2027-999999"}),
    ],
)
def test_invalid_input_answers_400_with_the_field(
    family, django_capture_on_commit_callbacks, field, overrides
):
    fam = family.load()
    response = post(api(fam.guardian), body(fam, **overrides(fam)), django_capture_on_commit_callbacks)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert all(isinstance(m, str) and m for m in errors[field])
    assert not Application.objects.exists()


def test_a_child_who_is_not_yours_answers_403(make_family, django_capture_on_commit_callbacks):
    ours, theirs = make_family().load(), make_family().load()
    response = post(
        api(ours.guardian),
        body(ours, child_id_number=theirs.child, other_guardian_id_number=theirs.mother),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "who",
    [
        lambda: UserFactory(clerk=True),
        lambda: UserFactory(bureau=True),
        lambda: UserFactory(real_name_verified_at=None),  # a citizen not real-name verified
    ],
)
def test_only_real_name_verified_citizens_submit(family, django_capture_on_commit_callbacks, who):
    fam = family.load()
    response = post(api(who()), body(fam), django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_a_second_application_answers_409_with_the_first_reference(
    family, django_capture_on_commit_callbacks
):
    fam = family.load()
    client = api(fam.guardian)
    first = post(client, body(fam), django_capture_on_commit_callbacks)
    again = post(client, body(fam), django_capture_on_commit_callbacks)
    assert again.status_code == 409
    assert again.json() == {"reference_no": first.json()["reference_no"]}


def test_after_a_withdrawal_the_child_can_apply_again(family, django_capture_on_commit_callbacks):
    fam = family.load()
    client = api(fam.guardian)
    first = post(client, body(fam), django_capture_on_commit_callbacks).json()["reference_no"]
    withdrawn = client.post(f"{URL}{first}/actions/withdraw/", {"note": "搬家"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    second = post(client, body(fam), django_capture_on_commit_callbacks)
    assert second.status_code == 201 and second.json()["reference_no"] != first


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}JY-ENR-2027-000001/"),
        ("post", f"{URL}JY-ENR-2027-000001/actions/approve/"),
        ("get", f"{URL}JY-ENR-2027-000001/notice.pdf"),
    ],
)
def test_without_a_token_answers_401(method, path):
    response = getattr(api(), method)(path, {}, format="json") if method == "post" else api().get(path)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_an_expired_or_unknown_token_answers_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(URL).status_code == 401


# --- read -------------------------------------------------------------------------------------------------


def test_the_detail_has_exactly_the_contract_shape():
    older = ApplicationFactory(admitted=True)
    application = ApplicationFactory(needs_review=True, guardian=older.guardian)
    Application.objects.filter(pk=application.pk).update(sibling=older)
    data = api(application.guardian).get(f"{URL}{application.case.reference_no}/").json()
    assert set(data) == DETAIL_KEYS
    assert data["reference_no"] == application.case.reference_no
    assert data["status"] == "needs_review"
    assert data["sibling_reference_no"] == older.case.reference_no
    assert data["school"] == {"code": application.zone_school.code, "name": application.zone_school.name}
    assert data["deadline"] == application.case.deadline.isoformat()
    assert data["points"] is None
    assert data["checks"] and all(set(c) == {"name", "result", "reason"} for c in data["checks"])
    assert {c["result"] for c in data["checks"]} <= {"pass", "fail", "pending", "unavailable"}
    assert data["events"] and all(set(e) == {"at", "action", "from", "to", "note"} for e in data["events"])
    assert data["events"][0]["action"] == "submitted"


def test_school_is_the_admitted_school_once_admitted_else_the_zone_school():
    application = ApplicationFactory(admitted=True)
    other = SchoolFactory(district=application.case.district)
    Application.objects.filter(pk=application.pk).update(school=other)  # redistributed (调剂)
    data = api(application.guardian).get(f"{URL}{application.case.reference_no}/").json()
    assert (data["status"], data["school"]["code"]) == ("admitted", other.code)
    qualified = ApplicationFactory(qualified=True)
    data = api(qualified.guardian).get(f"{URL}{qualified.case.reference_no}/").json()
    assert data["school"]["code"] == qualified.zone_school.code


def test_a_closed_case_has_no_deadline():
    application = ApplicationFactory(rejected=True)
    data = api(application.guardian).get(f"{URL}{application.case.reference_no}/").json()
    assert data["status"] == "rejected" and data["deadline"] is None


@pytest.mark.parametrize("reference", ["theirs", "JY-ENR-2027-424242", "nonsense"])
def test_another_familys_or_a_guessed_reference_answers_404(reference):
    mine, theirs = ApplicationFactory(qualified=True), ApplicationFactory(qualified=True)
    ref = theirs.case.reference_no if reference == "theirs" else reference
    client = api(mine.guardian)
    for response in (
        client.get(f"{URL}{ref}/"),
        client.get(f"{URL}{ref}/notice.pdf"),
        client.post(f"{URL}{ref}/actions/withdraw/", {}, format="json"),
    ):
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
    theirs.refresh_from_db()
    assert theirs.state == State.QUALIFIED


def test_the_list_shows_a_citizen_their_own_and_staff_their_scope():
    mine = ApplicationFactory(needs_review=True)
    ApplicationFactory(needs_review=True, guardian=mine.guardian, stage="junior")
    theirs = ApplicationFactory(needs_review=True)
    other_district = DistrictFactory(code="330402", name="南湖区")
    elsewhere = ApplicationFactory(needs_review=True, district=other_district)

    page = api(mine.guardian).get(URL).json()
    assert page["count"] == 2
    assert {a["reference_no"] for a in page["results"]} == {
        a.case.reference_no for a in Application.objects.filter(guardian=mine.guardian)
    }
    assert all(set(a) == DETAIL_KEYS for a in page["results"])

    clerk = UserFactory(clerk=True, school=theirs.zone_school)
    assert [a["reference_no"] for a in api(clerk).get(URL).json()["results"]] == [theirs.case.reference_no]
    bureau = UserFactory(bureau=True, district=elsewhere.case.district)
    assert [a["reference_no"] for a in api(bureau).get(URL).json()["results"]] == [
        elsewhere.case.reference_no
    ]


# --- actions ----------------------------------------------------------------------------------------------


def test_a_clerk_of_the_zone_school_approves():
    application = ApplicationFactory(needs_review=True)
    clerk = UserFactory(clerk=True, school=application.zone_school)
    response = api(clerk).post(
        f"{URL}{application.case.reference_no}/actions/approve/", {"note": "原件已核"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "qualified"
    approved, issued = response.json()["events"][-2:]
    assert (approved["action"], approved["from"], approved["to"], approved["note"]) == (
        "enrollment.approved",
        "needs_review",
        "qualified",
        "原件已核",
    )
    assert issued["action"] == "documents.issued"  # the place notice, registered on qualification
    [document] = response.json()["documents"]
    assert (document["document"], document["status"]) == ("place_notice", "valid")
    assert "/verify/" in document["verify_url"] and document["url"].endswith("/notice.pdf")


def test_an_action_the_state_does_not_allow_answers_409():
    application = ApplicationFactory(qualified=True)
    clerk = UserFactory(clerk=True, school=application.zone_school)
    response = api(clerk).post(f"{URL}{application.case.reference_no}/actions/approve/", {}, format="json")
    assert response.status_code == 409
    assert application.case.reference_no in response.json()["detail"]


def test_an_action_the_role_does_not_allow_answers_403():
    application = ApplicationFactory(needs_review=True)
    client = api(application.guardian)
    assert client.post(f"{URL}{application.case.reference_no}/actions/approve/").status_code == 403
    clerk = UserFactory(clerk=True, school=application.zone_school)
    assert api(clerk).post(f"{URL}{application.case.reference_no}/actions/withdraw/").status_code == 403
    application.refresh_from_db()
    assert application.state == State.NEEDS_REVIEW


def test_an_unknown_action_answers_404():
    application = ApplicationFactory(needs_review=True)
    clerk = UserFactory(clerk=True, school=application.zone_school)
    response = api(clerk).post(f"{URL}{application.case.reference_no}/actions/admit/", {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("action", ["reject", "request_supplement"])
@pytest.mark.parametrize("note", [None, "", "   "])
def test_reject_and_supplement_need_a_note(action, note):
    application = ApplicationFactory(needs_review=True)
    clerk = UserFactory(clerk=True, school=application.zone_school)
    data = {} if note is None else {"note": note}
    response = api(clerk).post(f"{URL}{application.case.reference_no}/actions/{action}/", data, format="json")
    assert response.status_code == 400
    assert "note" in response.json()
    application.refresh_from_db()
    assert application.state == State.NEEDS_REVIEW


# --- the notice PDF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["qualified", "admitted"])
def test_the_notice_is_a_pdf_once_qualified_or_admitted(state):
    pytest.importorskip("enrollment.notice")
    application = ApplicationFactory(**{state: True})
    response = api(application.guardian).get(
        f"{URL}{application.case.reference_no}/notice.pdf", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert ".pdf" in response["Content-Disposition"]


@pytest.mark.parametrize(
    "state", ["verifying", "needs_review", "awaiting_supplement", "rejected", "withdrawn"]
)
def test_no_notice_before_qualification_answers_409(state):
    application = ApplicationFactory(**{state: True})
    response = api(application.guardian).get(
        f"{URL}{application.case.reference_no}/notice.pdf", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


# --- two submissions at the same moment -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_child_give_one_201_and_one_409(family, monkeypatch):
    """Both requests pass the "already applied?" read before either inserts (a barrier holds them there),
    so only the partial unique constraint can stop the second: it must come back as 409 with the first
    one's reference, not as a 500."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite takes one database-wide write lock per transaction, so two "
            "submissions cannot be inside their transactions at once"
        )
    fam = family.load()
    data = body(fam)
    tokens = [Token.objects.get_or_create(user=fam.guardian)[0].key]
    barrier = threading.Barrier(2, timeout=30)
    waited: set[int] = set()
    original = services._live_duplicate

    def checked_together(*args):
        found = original(*args)
        me = threading.get_ident()
        if me not in waited:  # only the first read of each request; the one after IntegrityError not
            waited.add(me)
            barrier.wait()
        return found

    monkeypatch.setattr(services, "_live_duplicate", checked_together)
    responses: list = []

    def submit():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[0]}")
        responses.append(client.post(URL, data, format="json"))

    errors = run_in_threads(submit, 2)
    assert not errors, errors
    assert len(waited) == 2  # both were past the read when they inserted
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409], [r.content for r in responses]
    created = next(r for r in responses if r.status_code == 201).json()
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused == {"reference_no": created["reference_no"]}
    assert Application.objects.filter(child_id_hash=Application.objects.get().child_id_hash).count() == 1
