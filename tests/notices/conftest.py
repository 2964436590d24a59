"""Notices test world: a test service (aid-like) with three cases put on a notice by the test."""

import datetime as dt

import pytest

from portal.cases import services as case_services
from portal.notices import registry
from tests.factories import (
    CaseFactory,
    DistrictFactory,
    SchoolFactory,
    ServiceItemFactory,
    UserFactory,
    make_id_number,
)

SERVICE = "NTST"
TODAY = dt.date(2027, 5, 7)  # a Friday (2027 is beyond the calendar package: Monday to Friday work)


@pytest.fixture
def today(monkeypatch):
    """Move "today" for the services: ``today.set(date)``."""

    class Clock:
        value = TODAY

        def set(self, value):
            self.value = value

    clock = Clock()
    monkeypatch.setattr(case_services, "local_today", lambda: clock.value)
    return clock


@pytest.fixture
def district(db):
    return DistrictFactory(code="330499", name="试验区")


@pytest.fixture
def service(district):
    return ServiceItemFactory(code=SERVICE, name="家庭经济困难学生资助")


@pytest.fixture
def upheld_calls():
    calls = []
    registry.register_objection_handler(SERVICE, lambda objection, *, by: calls.append((objection.pk, by)))
    yield calls
    registry._HANDLERS.pop(SERVICE, None)


@pytest.fixture
def cases(district, service):
    school = SchoolFactory(district=district, name="试验小学")
    names = ["王小明", "李𠀀华", "赵敏"]
    return [
        CaseFactory(
            service=service,
            district=district,
            school=school,
            subject_name=name,
            subject_id_number=make_id_number(dt.date(2016, 3, 1), 2 * i + 1),
        )
        for i, name in enumerate(names)
    ]


@pytest.fixture
def objector(db):
    return UserFactory()


@pytest.fixture
def bureau(district):
    return UserFactory(bureau=True, district=district)
