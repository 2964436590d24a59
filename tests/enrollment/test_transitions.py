"""The transition table (docs/workflows/enrollment.md) as tests: who may take each action, and from which
states. Every action goes through its service function, as the pages, the API and the counter do."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm import has_transition_perm

from enrollment import services
from enrollment.models import Application, State
from portal.cases.models import CaseStatus
from portal.cases.workflow import ActionNotAllowed
from tests.factories import ApplicationFactory, DistrictFactory, SchoolFactory, UserFactory, tiny_pdf

pytestmark = pytest.mark.django_db

PDF = tiny_pdf()


def _pdf():
    return SimpleUploadedFile("proof.pdf", PDF, "application/pdf")


ACTIONS = {
    "approve": lambda app, by: services.application_approve(application=app, by=by, note="同意"),
    "reject": lambda app, by: services.application_reject(application=app, by=by, note="材料不符"),
    "request_supplement": lambda app, by: services.application_request_supplement(
        application=app, by=by, note="请上传租赁合同"
    ),
    "supplement": lambda app, by: services.application_supplement_received(
        application=app, by=by, uploaded_file=_pdf(), kind="租赁合同"
    ),
    "withdraw": lambda app, by: services.application_withdraw(application=app, by=by, note="不再需要"),
    "record_originals": lambda app, by: services.application_record_originals(
        application=app, by=by, originals=["户口簿"]
    ),
}
EXPECTED_STATE = {
    "approve": State.QUALIFIED,
    "reject": State.REJECTED,
    "request_supplement": State.AWAITING_SUPPLEMENT,
    "supplement": State.NEEDS_REVIEW,
    "withdraw": State.WITHDRAWN,
    "record_originals": None,  # no state change: the originals are noted on the application
}
REVIEWER_ACTIONS = ("approve", "reject", "request_supplement", "record_originals")
APPLICANT_ACTIONS = ("supplement", "withdraw")

ROLES = (
    "guardian",
    "another_parent",
    "clerk_of_the_school",
    "clerk_of_another_school",
    "bureau_of_the_district",
    "bureau_of_another_district",
    "department_reviewer",
    "auditor_of_the_district",
    "superuser",
)
MAY = {
    "guardian": set(APPLICANT_ACTIONS),
    "clerk_of_the_school": set(REVIEWER_ACTIONS),
    "bureau_of_the_district": set(REVIEWER_ACTIONS),
    "superuser": set(REVIEWER_ACTIONS),
}


def user_as(role: str, app: Application):
    district, school = app.case.district, app.zone_school
    return {
        "guardian": lambda: app.guardian,
        "another_parent": lambda: UserFactory(),
        "clerk_of_the_school": lambda: UserFactory(clerk=True, school=school),
        "clerk_of_another_school": lambda: UserFactory(clerk=True, school=SchoolFactory(district=district)),
        "bureau_of_the_district": lambda: UserFactory(bureau=True, district=district),
        "bureau_of_another_district": lambda: UserFactory(
            bureau=True, district=DistrictFactory(code="330402", name="南湖区")
        ),
        "department_reviewer": lambda: UserFactory(reviewer=True),
        "auditor_of_the_district": lambda: UserFactory(auditor=True, district=district),
        "superuser": lambda: UserFactory(is_superuser=True, is_staff=True, phone=None, id_number=""),
    }[role]()


def start_state(action: str) -> str:
    return "awaiting_supplement" if action == "supplement" else "needs_review"


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_who_may_take_each_action(role, action):
    app = ApplicationFactory(**{start_state(action): True})
    user = user_as(role, app)
    allowed = action in MAY.get(role, set())
    events_before = app.case.events.count()

    if allowed:
        ACTIONS[action](app, user)
        app.refresh_from_db()
        assert app.state == (EXPECTED_STATE[action] or start_state(action))
        assert app.case.events.count() > events_before  # written to the trace
    else:
        with pytest.raises(PermissionDenied):
            ACTIONS[action](app, user)
        app.refresh_from_db()
        assert app.state == start_state(action)
        assert app.case.events.count() == events_before  # nothing half-written

    transition = {
        "approve": app.approve,
        "reject": app.reject,
        "request_supplement": app.request_supplement,
        "supplement": app.receive_supplement,
        "withdraw": app.withdraw,
    }.get(action)
    if transition is not None and not allowed:  # the FSM's own permission= agrees with the service
        assert not has_transition_perm(transition, user)


# from which states each action is allowed, for someone who may take it
ALLOWED_FROM = {
    "approve": {"needs_review", "awaiting_supplement"},
    "reject": {"verifying", "needs_review", "awaiting_supplement"},
    "request_supplement": {"needs_review"},
    "supplement": {"awaiting_supplement"},
    "withdraw": {"verifying", "needs_review", "awaiting_supplement", "qualified"},
}
STATES = (
    "verifying",
    "needs_review",
    "awaiting_supplement",
    "qualified",
    "rejected",
    "admitted",
    "withdrawn",
)


@pytest.mark.parametrize("action", list(ALLOWED_FROM))
@pytest.mark.parametrize("state", STATES)
def test_from_which_states_each_action_is_allowed(state, action):
    app = ApplicationFactory(**{state: True})
    user = app.guardian if action in APPLICANT_ACTIONS else user_as("clerk_of_the_school", app)

    if state in ALLOWED_FROM[action]:
        ACTIONS[action](app, user)
        app.refresh_from_db()
        assert app.state == EXPECTED_STATE[action]
    else:
        with pytest.raises(ActionNotAllowed):
            ACTIONS[action](app, user)
        app.refresh_from_db()
        assert app.state == state


def test_final_decisions_close_the_case_and_supplements_pause_its_clock():
    app = ApplicationFactory(needs_review=True)
    clerk = user_as("clerk_of_the_school", app)
    services.application_request_supplement(application=app, by=clerk, note="请上传租赁合同")
    app.refresh_from_db()
    assert app.case.clock_paused and app.supplement_due is not None
    services.application_supplement_received(
        application=app, by=app.guardian, uploaded_file=_pdf(), kind="租赁合同"
    )
    app.refresh_from_db()
    assert not app.case.clock_paused and app.case.attachments.count() == 1
    services.application_reject(application=app, by=clerk, note="租赁合同已过期")
    app.refresh_from_db()
    assert app.case.status == CaseStatus.REJECTED
