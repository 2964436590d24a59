"""The kernel's one entry point, ``perform`` (ADR 0011), as a table: allowed, forbidden by state, forbidden
by role, and two people acting at once — one succeeds, the other is told the rule (409)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from rest_framework.authtoken.models import Token

from enrollment.catalogue import EnrollmentAction
from enrollment.models import Application, State
from portal.cases.models import CaseEvent, CaseStatus
from portal.cases.workflow import ActionNotAllowed, allowed_actions, perform, workflow_for
from portal.notify.models import Message
from tests.factories import ApplicationFactory, UserFactory
from tests.i18n import zh
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def _clerk_of(app):
    return UserFactory(clerk=True, school=app.case.school)


# (state, actor, action) → the resulting state, or the exception that refuses it
TABLE = [
    ("needs_review", "clerk", "approve", State.QUALIFIED),
    ("needs_review", "clerk", "reject", State.REJECTED),
    ("needs_review", "guardian", "withdraw", State.WITHDRAWN),
    ("qualified", "guardian", "withdraw", State.WITHDRAWN),
    ("awaiting_supplement", "clerk", "approve", State.QUALIFIED),
    ("qualified", "clerk", "approve", ActionNotAllowed),  # forbidden by state
    ("rejected", "guardian", "withdraw", ActionNotAllowed),
    ("withdrawn", "clerk", "reject", ActionNotAllowed),
    ("needs_review", "guardian", "approve", PermissionDenied),  # forbidden by role
    ("needs_review", "stranger", "withdraw", PermissionDenied),
    ("needs_review", "other_clerk", "approve", PermissionDenied),
    ("qualified", "stranger", "approve", PermissionDenied),  # the role is checked before the state
]


def _actor(app, who):
    return {
        "clerk": lambda: _clerk_of(app),
        "other_clerk": lambda: UserFactory(clerk=True),
        "guardian": lambda: app.guardian,
        "stranger": lambda: UserFactory(),
    }[who]()


@pytest.mark.parametrize(("state", "who", "action", "expected"), TABLE)
def test_perform_table(state, who, action, expected):
    app = ApplicationFactory(**{state: True})
    by = _actor(app, who)
    events_before = CaseEvent.objects.filter(case=app.case).count()
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            perform(app, action, by=by, note="理由")
        app.refresh_from_db()
        assert app.state == state  # nothing changed
        assert CaseEvent.objects.filter(case=app.case).count() == events_before
        return
    result = perform(app, action, by=by, note="理由")
    assert result.state == expected
    app.refresh_from_db()
    assert app.state == expected  # the caller's copy is refreshed
    event = CaseEvent.objects.filter(case=app.case, action=workflow_for(app).events[action]).latest("seq")
    assert (event.from_state, event.to_state, event.note, event.actor) == (state, expected, "理由", by)


def test_a_state_refusal_says_the_rule_in_chinese():
    app = ApplicationFactory(qualified=True)
    with pytest.raises(ActionNotAllowed) as refused:
        perform(app, "approve", by=_clerk_of(app))
    message = refused.value.messages[0]
    assert app.case.reference_no in message
    assert zh("%(object)s is %(state)s; it cannot be %(action)s.") in message


def test_a_failed_condition_gives_its_own_reason():
    app = ApplicationFactory(verifying=True)
    app.checks.update(result="fail")
    with pytest.raises(ActionNotAllowed) as refused:
        perform(app, "qualify_automatically", by=None)
    assert zh("Every automatic check must have passed.") in refused.value.messages[0]


def test_the_case_status_follows_the_service_state():
    app = ApplicationFactory(needs_review=True)
    assert app.case.status == CaseStatus.IN_PROGRESS
    perform(app, "reject", by=_clerk_of(app), note="材料不符")
    app.case.refresh_from_db()
    assert app.case.status == CaseStatus.REJECTED
    assert app.case.closed_at is not None
    assert Message.objects.filter(recipient=app.guardian, case=app.case).exists()


def test_then_runs_in_the_same_transaction():
    app = ApplicationFactory(needs_review=True)

    def then(locked):
        raise RuntimeError("a side write failed")

    with pytest.raises(RuntimeError):
        perform(app, "approve", by=_clerk_of(app), then=then)
    app.refresh_from_db()
    assert app.state == State.NEEDS_REVIEW
    assert not CaseEvent.objects.filter(case=app.case, action=EnrollmentAction.APPROVED).exists()


def test_after_commit_waits_for_the_commit(django_capture_on_commit_callbacks):
    app = ApplicationFactory(needs_review=True)
    ran = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        perform(app, "approve", by=_clerk_of(app), after_commit=[lambda: ran.append("sent")])
    assert ran == []
    for callback in callbacks:
        callback()
    assert "sent" in ran


def test_allowed_actions_lists_what_the_user_may_do_now():
    app = ApplicationFactory(needs_review=True)
    assert set(allowed_actions(app, _clerk_of(app))) == {"approve", "reject", "request_supplement"}
    assert allowed_actions(app, app.guardian) == ["withdraw"]
    assert allowed_actions(app, UserFactory()) == []


def test_an_unregistered_action_or_model_is_a_programming_error():
    app = ApplicationFactory(needs_review=True)
    with pytest.raises(ValueError, match="no registered action"):
        perform(app, "save", by=None)
    with pytest.raises(LookupError):
        perform(UserFactory(), "approve", by=None)


def test_the_api_answers_409_for_the_state_and_403_for_the_role(client):
    app = ApplicationFactory(qualified=True)
    clerk = _clerk_of(app)
    url = f"/api/v1/enrollment/applications/{app.case.reference_no}/actions/approve/"
    answer = client.post(
        url,
        {"note": "同意"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk)}",
    )
    assert answer.status_code == 409
    assert app.case.reference_no in answer.json()["detail"]
    guardian_token = Token.objects.create(user=app.guardian)
    answer = client.post(
        url, {"note": "同意"}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {guardian_token}"
    )
    assert answer.status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
@pytest.mark.django_db(transaction=True)
def test_two_clerks_at_once_one_succeeds_the_other_is_refused():
    app = ApplicationFactory(needs_review=True)
    clerks = [_clerk_of(app), _clerk_of(app)]
    barrier = threading.Barrier(2)
    outcomes = []

    def act():
        clerk = clerks.pop()
        barrier.wait()
        try:
            perform(Application.objects.get(pk=app.pk), "approve", by=clerk, note="同意")
            outcomes.append("approved")
        except ActionNotAllowed:
            outcomes.append("409")

    assert run_in_threads(act, 2) == []
    assert sorted(outcomes) == ["409", "approved"]
    assert CaseEvent.objects.filter(case=app.case, action=EnrollmentAction.APPROVED).count() == 1
