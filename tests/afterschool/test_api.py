"""The contract (contracts/api-services.md, afterschool/…): shapes, status codes, and a per-role table of
the actions: who may take which action (403 otherwise), and in which status (409 otherwise)."""

import pytest
from rest_framework.test import APIClient

from afterschool import services
from afterschool.models import State

pytestmark = pytest.mark.django_db

SHARED = {"reference_no", "service", "status", "checks", "deadline", "next_step", "events", "documents"}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def post_apply(world, family, django_capture_on_commit_callbacks):
    def _post(fam, slot="16:30", **body):
        with django_capture_on_commit_callbacks(execute=True):
            return api(fam.guardian).post(
                "/api/v1/afterschool/applications/",
                {"program_id": world.program.pk, "student_id_number": fam.child, "slot": slot, **body},
                format="json",
            )

    return _post


def test_programs_are_listed_with_slots_and_status(world, family, apply, fill=None):
    user = family().guardian
    apply(family(), slot="17:30")
    body = api(user).get("/api/v1/afterschool/programs/").json()
    assert body["count"] == 1
    program = body["results"][0]
    assert program["status"] == "open" and program["school"] == {"code": "P1", "name": "实验小学"}
    assert program["slots"] == [
        {"slot": "16:30", "capacity": 2, "taken": 0, "free": 2, "waitlisted": 0},
        {"slot": "17:30", "capacity": 1, "taken": 1, "free": 0, "waitlisted": 0},
    ]
    assert program["fee_fen"] == 90000 and program["grades"] == [1, 2, 3, 4, 5, 6]


def test_create_is_201_with_the_case(post_apply, family):
    response = post_apply(family())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= SHARED and body["service"] == "ASC" and body["status"] == "awaiting_review"
    assert body["slot"] == "16:30" and body["waitlist_position"] is None
    assert [e["action"] for e in body["events"]][:1] == ["submitted"]


def test_create_errors(post_apply, family, world):
    assert post_apply(family(), slot="19:00").status_code == 400
    assert set(post_apply(family(), student_id_number="x").json()) == {"student_id_number"}
    other = post_apply(family(school_code="P2"))
    assert other.status_code == 409 and "另一所学校" in other.json()["detail"]
    fam = family()
    assert post_apply(fam).status_code == 201
    assert post_apply(fam).status_code == 409  # one application per child and programme


def test_full_slot_is_waitlisted_with_its_position(post_apply, family):
    post_apply(family(), slot="17:30")
    body = post_apply(family(), slot="17:30").json()
    assert body["status"] == "waitlisted" and body["waitlist_position"] == 1


def test_another_familys_case_is_404_and_staff_see_their_scope(post_apply, family, clerk, other_clerk):
    ref = post_apply(family()).json()["reference_no"]
    assert api(family().guardian).get(f"/api/v1/afterschool/applications/{ref}/").status_code == 404
    assert api(other_clerk).get(f"/api/v1/afterschool/applications/{ref}/").status_code == 404
    assert api(clerk).get("/api/v1/afterschool/applications/").json()["count"] == 1


ROLES = ("guardian", "stranger", "clerk", "other_clerk", "bureau")
# action → roles allowed (the others: 403)
ALLOWED = {
    "approve": {"clerk", "bureau"},
    "reject": {"clerk", "bureau"},
    "change_slot": {"guardian"},
    "withdraw": {"guardian"},
}


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_per_role_table(
    action, role, post_apply, family, clerk, other_clerk, bureau, django_capture_on_commit_callbacks
):
    fam = family()
    ref = post_apply(fam).json()["reference_no"]
    users = {
        "guardian": fam.guardian,
        "stranger": family().guardian,
        "clerk": clerk,
        "other_clerk": other_clerk,
        "bureau": bureau,
    }
    body = {"note": "不符合条件", "slot": "17:30"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api(users[role]).post(
            f"/api/v1/afterschool/applications/{ref}/actions/{action}/", body, format="json"
        )
    if role in ("stranger", "other_clerk"):
        assert response.status_code == 404  # not in their scope: they learn nothing
    elif role in ALLOWED[action]:
        assert response.status_code == 200, response.json()
    else:
        assert response.status_code == 403, response.json()


# status → actions allowed for the one whose action it is (the others: 409)
BY_STATE = {
    State.AWAITING_REVIEW: {"approve", "reject", "change_slot", "withdraw"},
    State.WAITLISTED: {"reject", "change_slot", "withdraw"},
    State.AWAITING_PAYMENT: {"change_slot", "withdraw"},
    State.REJECTED: set(),
    State.WITHDRAWN: set(),
}


@pytest.fixture
def in_state(family, apply, act, clerk):
    def _make(state):
        if state == State.WAITLISTED:
            apply(family(), slot="17:30")
            return apply(family(), slot="17:30")
        app = apply(family())
        if state == State.AWAITING_PAYMENT:
            return act(services.application_approve, application=app, by=clerk)
        if state == State.REJECTED:
            return act(services.application_reject, application=app, by=clerk, note="不符合条件")
        if state == State.WITHDRAWN:
            return act(services.application_withdraw, application=app, by=app.guardian)
        return app

    return _make


@pytest.mark.parametrize("state", list(BY_STATE))
@pytest.mark.parametrize("action", list(ALLOWED))
def test_per_state_table(state, action, in_state, clerk, django_capture_on_commit_callbacks):
    app = in_state(state)
    assert app.state == state
    actor = clerk if action in ("approve", "reject") else app.guardian
    slot = "17:30" if app.slot.leave_at == "16:30" else "16:30"
    with django_capture_on_commit_callbacks(execute=True):
        response = api(actor).post(
            f"/api/v1/afterschool/applications/{app.case.reference_no}/actions/{action}/",
            {"note": "不符合条件", "slot": slot},
            format="json",
        )
    expected = 200 if action in BY_STATE[state] else 409
    assert response.status_code == expected, response.json()
    if expected == 409:
        assert response.json()["detail"]  # the rule, in Chinese


def test_enrolled_can_change_slot_and_withdraw_only(in_state, clerk, pay, act):
    app = in_state(State.AWAITING_PAYMENT)
    pay(app)
    body = api(app.guardian).get(f"/api/v1/afterschool/applications/{app.case.reference_no}/").json()
    assert body["status"] == "enrolled" and sorted(body["actions"]) == ["change_slot", "withdraw"]
    assert body["bill"]["status"] == "paid" and body["refund_if_withdrawn_fen"] >= 0
    response = api(clerk).post(
        f"/api/v1/afterschool/applications/{app.case.reference_no}/actions/approve/", {}, format="json"
    )
    assert response.status_code == 409
