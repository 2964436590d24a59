"""Honours (从教三十年): the finder through the kernel's invitations, once per teacher and year, breaks
subtracted; accepting with an address issues and couriers the certificate."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from portal.deliveries.models import Delivery
from portal.invitations.models import Invitation
from portal.invitations.services import invitations_run_finders
from sandbox import models as reg
from teachers.models import HonourState
from teachers.services import honour_accept, thirty_years_on
from tests.factories import UserFactory, make_id_number

pytestmark = pytest.mark.django_db
YEAR = 2026


def employ(name, start, breaks=0, seq=1):
    id_number = make_id_number(dt.date(1970, 1, 1), seq)
    reg.Person.objects.create(id_number=id_number, name=name, gender="F", birth_date=dt.date(1970, 1, 1))
    reg.TeacherEmployment.objects.create(
        id_number=id_number, school_code="3304110001", service_start=start, break_months=breaks
    )
    return id_number


@pytest.fixture
def roster(school):
    return {
        "thirty": employ("王𠀀芳", dt.date(1996, 9, 1), seq=2),
        "with_break": employ("李敏", dt.date(1994, 9, 1), breaks=24, seq=4),
        "too_early": employ("赵丽", dt.date(1990, 9, 1), seq=6),
        "too_late": employ("陈静", dt.date(2000, 9, 1), seq=8),
    }


def honour_invitations():
    return Invitation.objects.filter(service__code="HON", year=YEAR)


def test_the_finder_offers_each_teacher_once_per_year(roster):
    first = invitations_run_finders(year=YEAR)
    assert first["invited"] == 2
    again = invitations_run_finders(year=YEAR)
    assert again["invited"] == 0 and again["already"] == 2
    assert honour_invitations().count() == 2


def test_a_two_year_break_is_offered_two_years_later():
    assert thirty_years_on(service_start=dt.date(1994, 9, 1), break_months=24) == dt.date(2026, 9, 1)
    assert thirty_years_on(service_start=dt.date(1996, 9, 1), break_months=0) == dt.date(2026, 9, 1)
    assert thirty_years_on(service_start=dt.date(1996, 9, 1), break_months=24).year == 2028


def test_accept_with_an_address_issues_and_delivers(roster, courier, django_capture_on_commit_callbacks):
    invitations_run_finders(year=YEAR)
    teacher = UserFactory(real_name="王𠀀芳", id_number=roster["thirty"], phone="13900002222")
    invitation = honour_invitations().get(person_id_hash=teacher.id_number_hash)
    with pytest.raises(ValidationError):
        honour_accept(invitation=invitation, delivery_address="x", by=teacher)
    with django_capture_on_commit_callbacks(execute=True):
        honour = honour_accept(invitation=invitation, delivery_address="嘉兴市秀洲区洪兴路 1 号", by=teacher)
    assert honour.state == HonourState.ISSUED
    delivery = Delivery.objects.get(case=honour.case)
    courier(delivery, "delivered")
    honour.refresh_from_db()
    assert honour.state == HonourState.DELIVERED and honour.case.status == "done"


def test_another_person_cannot_accept(roster):
    from django.core.exceptions import PermissionDenied

    invitations_run_finders(year=YEAR)
    invitation = honour_invitations().first()
    with pytest.raises(PermissionDenied):
        honour_accept(invitation=invitation, delivery_address="嘉兴市秀洲区洪兴路 1 号", by=UserFactory())
