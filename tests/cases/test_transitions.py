"""The coarse status of a case: which transitions each status allows, who may trigger them, and the
messages a status change sends (site message, then SMS through the sandbox gateway after commit)."""

from itertools import product

import pytest
from django.core.exceptions import PermissionDenied

from portal.cases.models import CaseEvent, CaseStatus
from portal.cases.services import case_transition
from portal.cases.workflow import ActionNotAllowed
from portal.notify.models import Message
from tests.factories import (
    CaseInStatusFactory,
    DepartmentFactory,
    DistrictFactory,
    SchoolFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TARGET = {
    "start_processing": CaseStatus.IN_PROGRESS,
    "complete": CaseStatus.DONE,
    "reject": CaseStatus.REJECTED,
    "withdraw": CaseStatus.WITHDRAWN,
}
ALLOWED = {
    CaseStatus.SUBMITTED: {"start_processing", "complete", "reject", "withdraw"},
    CaseStatus.IN_PROGRESS: {"complete", "reject", "withdraw"},
    CaseStatus.DONE: set(),
    CaseStatus.REJECTED: set(),
    CaseStatus.WITHDRAWN: set(),
}
TRAIT = {
    CaseStatus.SUBMITTED: {},
    CaseStatus.IN_PROGRESS: {"in_progress": True},
    CaseStatus.DONE: {"done": True},
    CaseStatus.REJECTED: {"rejected": True},
    CaseStatus.WITHDRAWN: {"withdrawn": True},
}


@pytest.mark.parametrize(("source", "transition"), list(product(ALLOWED, TARGET)))
def test_transition_table(source, transition):
    case = CaseInStatusFactory(**TRAIT[source])
    clerk = UserFactory(clerk=True, school=case.school)
    if transition in ALLOWED[source]:
        result = case_transition(case=case, transition=transition, by=clerk, note="依据材料")
        assert result.status == TARGET[transition]
        assert case.status == TARGET[transition]  # the caller's instance is refreshed too
        event = CaseEvent.objects.get(case=case, action="status_changed")
        assert (event.from_state, event.to_state, event.actor, event.note) == (
            source,
            TARGET[transition],
            clerk,
            "依据材料",
        )
        assert (result.closed_at is not None) == result.is_final
    else:
        with pytest.raises(ActionNotAllowed) as excinfo:
            case_transition(case=case, transition=transition, by=clerk)
        assert case.reference_no in excinfo.value.messages[0]
        case.refresh_from_db()
        assert case.status == source
        assert not CaseEvent.objects.filter(case=case).exists()


def test_completing_a_withdrawn_case_is_refused_with_a_reason():
    case = CaseInStatusFactory(withdrawn=True)
    with pytest.raises(ActionNotAllowed, match=case.reference_no):
        case_transition(case=case, transition="complete", by=None)


def test_an_unknown_transition_name_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown case transition"):
        case_transition(case=CaseInStatusFactory(), transition="approve", by=None)


def _people(case):
    """Everyone who might try to act on ``case``, by a short name."""
    department, other_department = DepartmentFactory(), DepartmentFactory()
    case.departments.add(department)
    other_district = DistrictFactory(code="330402", name="南湖区")
    return {
        "system": None,
        "applicant": case.applicant,
        "other citizen": UserFactory(),
        "clerk of the school": UserFactory(clerk=True, school=case.school),
        "clerk of another school": UserFactory(clerk=True, school=SchoolFactory(district=case.district)),
        "bureau of the district": UserFactory(bureau=True, district=case.district),
        "bureau of another district": UserFactory(bureau=True, district=other_district),
        "reviewer of its department": UserFactory(reviewer=True, department=department),
        "reviewer of another department": UserFactory(reviewer=True, department=other_department),
        "auditor of the district": UserFactory(auditor=True, district=case.district),
    }


STAFF_WHO_HANDLE = {"system", "clerk of the school", "bureau of the district", "reviewer of its department"}
MAY = {
    "start_processing": STAFF_WHO_HANDLE,
    "complete": STAFF_WHO_HANDLE,
    "reject": STAFF_WHO_HANDLE,
    "withdraw": STAFF_WHO_HANDLE | {"applicant"},
}
PEOPLE = [
    "system",
    "applicant",
    "other citizen",
    "clerk of the school",
    "clerk of another school",
    "bureau of the district",
    "bureau of another district",
    "reviewer of its department",
    "reviewer of another department",
    "auditor of the district",
]


@pytest.mark.parametrize(("transition", "who"), list(product(TARGET, PEOPLE)))
def test_who_may_trigger_each_transition(transition, who):
    case = CaseInStatusFactory()
    by = _people(case)[who]
    if who in MAY[transition]:
        assert case_transition(case=case, transition=transition, by=by).status == TARGET[transition]
    else:
        with pytest.raises(PermissionDenied):
            case_transition(case=case, transition=transition, by=by)
        case.refresh_from_db()
        assert case.status == CaseStatus.SUBMITTED


def test_a_status_change_messages_the_applicant_by_site_message_and_sms(
    client, clerk, open_case, django_capture_on_commit_callbacks
):
    case = open_case()
    phone = case.applicant.phone
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case_transition(case=case, transition="start_processing", by=clerk)
    assert callbacks, "the SMS delivery must wait for the commit"

    message = Message.objects.filter(recipient=case.applicant, case=case).order_by("-pk").first()
    assert case.reference_no in message.subject
    assert str(CaseStatus.IN_PROGRESS.label) in message.subject
    inbox = client.get("/sandbox/sms/", {"phone": phone}).json()["messages"]
    assert any(case.reference_no in m["text"] and message.subject in m["text"] for m in inbox)


def test_no_sms_before_commit(client, clerk, open_case, django_capture_on_commit_callbacks):
    case = open_case()
    with django_capture_on_commit_callbacks(execute=False):
        case_transition(case=case, transition="reject", by=clerk, note="材料不全")
    inbox = client.get("/sandbox/sms/", {"phone": case.applicant.phone}).json()["messages"]
    assert inbox == []
