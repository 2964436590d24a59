"""Who sees which cases: citizens their own, clerks their school's, bureau staff their district's,
reviewers the cases of their department, auditors read-only; another family's reference is a 404."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from portal.cases.actions import CaseAction
from portal.cases.scoping import can_handle, can_see
from portal.cases.selectors import case_for_user, case_timeline, cases_for_user
from portal.cases.services import case_log_event, case_transition
from tests.factories import CaseFactory, DepartmentFactory, DistrictFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two districts, two schools in the first, one in the second; four cases of two families."""
    d1, d2 = DistrictFactory(), DistrictFactory(code="330402", name="南湖区")
    s1, s2, s3 = SchoolFactory(district=d1), SchoolFactory(district=d1), SchoolFactory(district=d2)
    dept, other_dept = DepartmentFactory(), DepartmentFactory()
    family_a, family_b = UserFactory(), UserFactory()
    cases = {
        "a1": CaseFactory(applicant=family_a, district=d1, school=s1),
        "a2": CaseFactory(applicant=family_a, district=d2, school=s3),
        "b1": CaseFactory(applicant=family_b, district=d1, school=s2),
        "b2": CaseFactory(applicant=family_b, district=d1, school=None),
    }
    cases["a1"].departments.add(dept)
    cases["b1"].departments.add(dept, other_dept)  # two departments: still listed once
    people = {
        "family a": family_a,
        "family b": family_b,
        "clerk s1": UserFactory(clerk=True, school=s1),
        "clerk s3": UserFactory(clerk=True, school=s3),
        "bureau d1": UserFactory(bureau=True, district=d1),
        "bureau d2": UserFactory(bureau=True, district=d2),
        "reviewer dept": UserFactory(reviewer=True, department=dept),
        "reviewer other": UserFactory(reviewer=True, department=other_dept),
        "auditor d1": UserFactory(auditor=True, district=d1),
        "inactive bureau": UserFactory(bureau=True, district=d1, is_active=False),
    }
    return cases, people


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("family a", {"a1", "a2"}),
        ("family b", {"b1", "b2"}),
        ("clerk s1", {"a1"}),
        ("clerk s3", {"a2"}),
        ("bureau d1", {"a1", "b1", "b2"}),
        ("bureau d2", {"a2"}),
        ("reviewer dept", {"a1", "b1"}),
        ("reviewer other", {"b1"}),
        ("auditor d1", {"a1", "b1", "b2"}),
        ("inactive bureau", set()),
    ],
)
def test_cases_for_user(world, who, sees):
    cases, people = world
    refs = list(cases_for_user(people[who]).values_list("reference_no", flat=True))
    assert len(refs) == len(set(refs))
    assert set(refs) == {cases[name].reference_no for name in sees}


def test_strangers_see_nothing(world):
    assert not cases_for_user(AnonymousUser()).exists()
    assert not cases_for_user(None).exists()


@pytest.mark.parametrize(
    ("who", "see", "handle"),
    [
        ("family a", True, False),
        ("clerk s1", True, True),
        ("bureau d1", True, True),
        ("reviewer dept", True, True),
        ("auditor d1", True, False),  # auditors read only
        ("clerk s3", False, False),
        ("bureau d2", False, False),
    ],
)
def test_can_see_and_can_handle(world, who, see, handle):
    cases, people = world
    assert can_see(people[who], cases["a1"]) is see
    assert can_handle(people[who], cases["a1"]) is handle


def test_another_familys_reference_is_not_found(world):
    cases, people = world
    assert case_for_user(people["family a"], cases["a1"].reference_no) == cases["a1"]
    assert case_for_user(people["family a"], cases["a1"].reference_no.lower()) == cases["a1"]
    with pytest.raises(Http404):
        case_for_user(people["family a"], cases["b1"].reference_no)
    with pytest.raises(Http404):
        case_for_user(people["family a"], "JY-TST-2026-999999")  # the same answer as a missing case
    with pytest.raises(Http404):
        case_for_user(people["bureau d2"], cases["a1"].reference_no)


def test_timeline_is_in_order_with_labels(world):
    cases, people = world
    case = cases["a1"]
    case_log_event(case=case, action="note_added", by=people["clerk s1"], note="已收件")
    case_transition(case=case, transition="start_processing", by=people["clerk s1"])
    timeline = case_timeline(case)
    assert [(e.seq, e.action) for e in timeline] == [(1, "note_added"), (2, "status_changed")]
    assert timeline[1].label == str(CaseAction.STATUS_CHANGED.label)
    assert (timeline[1].from_state, timeline[1].to_state) == ("submitted", "in_progress")
