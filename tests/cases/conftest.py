"""Fixtures of the case-kernel tests: one district with a school, a service item, people in each role,
and a way to set "today" for the services (deadlines are counted from it)."""

import datetime as dt

import pytest

from portal.cases import services
from portal.catalog.models import DecisionMode
from tests.factories import DistrictFactory, SchoolFactory, ServiceItemFactory, UserFactory


@pytest.fixture
def set_today(monkeypatch):
    """``set_today(date(2026, 2, 9))``: the services' local date (Asia/Shanghai) from now on."""

    def _set(day: dt.date) -> None:
        monkeypatch.setattr(services, "local_today", lambda: day)
        monkeypatch.setattr(services.common, "local_today", lambda: day)

    return _set


@pytest.fixture
def district(db):
    return DistrictFactory()


@pytest.fixture
def school(district):
    return SchoolFactory(district=district)


@pytest.fixture
def service(db):
    return ServiceItemFactory(code="tst", decision_mode=DecisionMode.PROMISED, promised_days=5)


@pytest.fixture
def applicant(db):
    return UserFactory()


@pytest.fixture
def clerk(school):
    return UserFactory(clerk=True, school=school)


@pytest.fixture
def bureau(district):
    return UserFactory(bureau=True, district=district, email="bureau@example.org")


@pytest.fixture
def open_case(service, applicant, district, school):
    """Open a case through the kernel (keyword arguments override the defaults)."""

    def _open(**overrides):
        kwargs = {
            "service": service,
            "applicant": applicant,
            "subject_name": "王小明",
            "channel": "online",
            "district": district,
            "school": school,
        }
        kwargs.update(overrides)
        return services.case_open(**kwargs)

    return _open
