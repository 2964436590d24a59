"""Invitations test world: a test service with a finder (aid and teacher honours register theirs later)
that finds two children of two families from a list the test controls."""

import datetime as dt

import pytest

from portal.invitations.registry import Candidate, register_finder, unregister_finder
from tests.factories import DistrictFactory, SchoolFactory, ServiceItemFactory, UserFactory, make_id_number

SERVICE = "INVT"


@pytest.fixture
def district(db):
    return DistrictFactory(code="330411", name="秀洲区")


@pytest.fixture
def service(district):
    return ServiceItemFactory(code=SERVICE, name="普惠性幼儿园资助")


@pytest.fixture
def parents(db):
    return [UserFactory(real_name="王𠀀"), UserFactory(real_name="赵敏")]


@pytest.fixture
def found(district, parents):
    """What the test finder yields: edit the list to change who qualifies."""
    school = SchoolFactory(district=district, stage="kindergarten")
    return [
        Candidate(
            subject_name="王小𠀀",
            subject_id_number=make_id_number(dt.date(2022, 3, 1), 11),
            district=district,
            school=school,
            person=parents[0],
            prefill={"scheme_code": "PH", "level": 1, "amount_yuan": 200, "welfare": "低保"},
            summary="可享受普惠性幼儿园资助 200 元",
        ),
        Candidate(
            subject_name="赵小明",
            subject_id_number=make_id_number(dt.date(2022, 5, 9), 13),
            district=district,
            person_id_number=parents[1].id_number,  # the finder knows only the parent's ID number
            prefill={"scheme_code": "PH", "level": 1, "amount_yuan": 200},
        ),
    ]


@pytest.fixture
def accepted_hook():
    """What the service's on_accept hook saw (it would create the service's own application)."""
    return []


@pytest.fixture
def finder(service, found, accepted_hook):
    def find(year):
        return list(found)

    def on_accept(*, invitation, case, by):
        accepted_hook.append({"case": case, "prefill": dict(invitation.prefill), "by": by})

    register_finder(SERVICE, find, on_accept=on_accept, valid_days=15)
    yield
    unregister_finder(SERVICE)


@pytest.fixture
def run(finder, django_capture_on_commit_callbacks):
    from portal.invitations.tasks import invitations_run_finders

    def _run():
        with django_capture_on_commit_callbacks(execute=True):
            return invitations_run_finders.delay().get()

    return _run
