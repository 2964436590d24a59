"""Admission test world: a district with located schools, capacities and default tiers, and qualified
applications (tests.factories.ApplicationFactory, trait ``qualified``)."""

import datetime as dt

from enrollment.selectors import ensure_default_rules
from portal.orgs.models import District, School, SchoolCapacity
from tests.factories import ApplicationFactory, DistrictFactory, SchoolFactory  # noqa: F401 - re-exported

YEAR = 2027


def district() -> District:
    d = DistrictFactory()
    ensure_default_rules(district=d, year=YEAR, stage="primary")
    return d


def school(d, code, seats, lat, lng) -> School:
    s = SchoolFactory(district=d, code=code, name=f"{code}小学", lat=lat, lng=lng)
    if seats is not None:
        SchoolCapacity.objects.create(school=s, year=YEAR, seats=seats)
    return s


def qualified(d, zone, *, tier="A", date="2016-01-01", points=None, sibling=None, name="王小明", **kwargs):
    return ApplicationFactory(
        qualified=True,
        district=d,
        zone=zone,
        category=tier,
        tie_date=dt.date.fromisoformat(date) if date else None,
        points=points,
        sibling=sibling,
        child_name=name,
        **kwargs,
    )
