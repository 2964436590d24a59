"""My cases, the staff queue and the reform figures: the standard catalogue (ENR, KGE, FEE, …), one
district with two schools, and a fixed "today" for the services and selectors."""

import datetime as dt

import pytest

from portal.cases import services
from portal.catalog.registry import sync_catalog
from tests.factories import DistrictFactory, SchoolFactory, UserFactory

TODAY = dt.date(2026, 11, 10)  # a Tuesday, no holiday near


@pytest.fixture(autouse=True)
def _no_archive_packages():
    """Closed cases are packaged by the archive after commit (a PDF/A each): not what is tested here."""
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(services, "local_today", lambda: TODAY)
    monkeypatch.setattr(services.common, "local_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def catalogue(db):
    sync_catalog()


@pytest.fixture
def district(catalogue):
    return DistrictFactory(code="330411", name="秀洲区")


@pytest.fixture
def school(district):
    return SchoolFactory(district=district, code="P1", name="实验小学")


@pytest.fixture
def other_school(district):
    return SchoolFactory(district=district, code="P2", name="新城小学")


@pytest.fixture
def parent(db):
    return UserFactory(real_name="王𠈌")


@pytest.fixture
def clerk(school):
    return UserFactory(clerk=True, school=school)


@pytest.fixture
def bureau(district):
    return UserFactory(bureau=True, district=district, email="")
