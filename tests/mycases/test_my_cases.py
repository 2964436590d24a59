"""GET /api/v1/cases/ and 我的办件 (/my/cases/): a person's cases of every service from one selector, each
with its service's own status and page; the staff queue across services (/my/queue/ and the same API for
staff), scoped and ordered overdue first."""

import datetime as dt

import pytest
from django.urls import reverse

from portal.cases import services as cases
from portal.cases.models import Case
from portal.catalog.models import ServiceItem
from tests.factories import ApplicationFactory, UserFactory
from tests.payments.factories import FeeItemFactory, OrderFactory

API = "/api/v1/cases/"


def _open(service_code, applicant, district, school=None, **kw):
    return cases.case_open(
        service=ServiceItem.objects.get(code=service_code),
        applicant=applicant,
        subject_name="王小𬌗",
        channel="online",
        district=district,
        school=school,
        **kw,
    )


def _with_deadline(case, deadline):
    Case.objects.filter(pk=case.pk).update(deadline=deadline)
    return case


@pytest.fixture
def three_services(today, parent, district, school):
    """An enrollment application, a bill and a student-status case (no app of its own yet) of one
    parent, and a stranger's application."""
    application = ApplicationFactory(guardian=parent, district=district, zone=school, qualified=True)
    order = OrderFactory(fee_item=FeeItemFactory(district=district, exam=True), payer=parent)
    plain = _open("TRF", parent, district, school)
    stranger = ApplicationFactory(district=district, zone=school, needs_review=True)
    return application, order, plain, stranger


def test_the_api_lists_the_persons_cases_of_every_service_with_their_own_status_and_page(
    client, three_services, parent
):
    application, order, plain, stranger = three_services
    client.force_login(parent)
    response = client.get(API)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    by_ref = {row["reference_no"]: row for row in body["results"]}
    assert stranger.case.reference_no not in by_ref
    enr = by_ref[application.case.reference_no]
    assert enr["service"] == {"code": "ENR", "name": application.case.service.name}
    assert enr["status"]["code"] == "in_progress" and enr["status"]["service_code"] == "qualified"
    assert enr["status"]["label"] == "办理中" and enr["status"]["service_label"] == "符合条件"
    assert enr["deadline"] is None  # decided: no deadline running although the case is open
    assert enr["link"].endswith(reverse("enrollment:application", args=[application.case.reference_no]))
    assert enr["closed"] is False and enr["accepted_on"] == application.case.accepted_on.isoformat()
    fee = by_ref[order.case.reference_no]
    assert fee["service"]["code"] == "FEE" and fee["status"]["service_label"] == "待缴费"
    assert fee["link"].endswith(reverse("payments:order", args=[order.order_no]))
    assert fee["deadline"] == order.expires_at.astimezone(cases.BUREAU_TZ).date().isoformat()
    assert fee["next_step"]
    row = by_ref[plain.reference_no]  # an item with no app of its own yet: the kernel's page
    assert row["link"].endswith(reverse("cases:case_detail", args=[plain.reference_no]))
    assert row["status"]["service_code"] == "" and row["deadline"] == plain.deadline.isoformat()


def test_the_my_cases_page_shows_the_same_summaries(client, three_services, parent):
    application, order, _plain, stranger = three_services
    client.force_login(parent)
    page = client.get(reverse("cases:my_cases")).content.decode()
    assert "办理中 · 符合条件" in page
    assert reverse("enrollment:application", args=[application.case.reference_no]) in page
    assert reverse("payments:order", args=[order.order_no]) in page
    assert order.expires_at.astimezone(cases.BUREAU_TZ).date().isoformat() in page
    assert stranger.case.reference_no not in page


def test_a_page_of_mixed_cases_costs_a_fixed_number_of_queries(
    client, today, parent, district, school, django_assert_max_num_queries
):
    fee = FeeItemFactory(district=district, exam=True)
    for _ in range(3):
        ApplicationFactory(guardian=parent, district=district, zone=school, stage="kindergarten")
        OrderFactory(fee_item=fee, payer=parent)
    client.force_login(parent)
    with django_assert_max_num_queries(12):
        assert client.get(API).json()["count"] == 6


def test_bad_filters_answer_400_with_the_field(client, today, parent):
    client.force_login(parent)
    response = client.get(API, {"status": "nonsense", "service": "NOPE"})
    assert response.status_code == 400
    assert {"status", "service"} <= set(response.json())


def test_the_staff_queue_is_scoped_overdue_first_then_soonest_deadline(
    client, today, district, school, other_school, clerk, bureau
):
    someone = UserFactory()
    soon = _with_deadline(_open("TRF", someone, district, school), today + dt.timedelta(days=2))
    late = _with_deadline(_open("TRF", someone, district, school), today - dt.timedelta(days=3))
    later = _with_deadline(_open("TRF", someone, district, school), today + dt.timedelta(days=9))
    latest_overdue = _with_deadline(_open("TRF", someone, district, school), today - dt.timedelta(days=1))
    paused = _with_deadline(_open("TRF", someone, district, school), today - dt.timedelta(days=5))
    cases.case_pause_clock(case=paused, by=None, reason="请补充材料")
    elsewhere = _with_deadline(_open("TRF", someone, district, other_school), today)
    closed = _open("TRF", someone, district, school)
    cases.case_transition(case=closed, transition="reject", by=None, note="不符合条件")
    decided = ApplicationFactory(district=district, zone=school, qualified=True)
    _with_deadline(decided.case, today - dt.timedelta(days=10))

    client.force_login(clerk)
    rows = client.get(API).json()["results"]
    order = [row["reference_no"] for row in rows]
    expected = [late, latest_overdue, soon, later]
    assert order[:4] == [c.reference_no for c in expected]
    assert [row["overdue"] for row in rows[:4]] == [True, True, False, False]
    assert set(order[4:]) == {paused.reference_no, decided.case.reference_no}  # no running deadline
    assert elsewhere.reference_no not in order and closed.reference_no not in order

    client.force_login(bureau)  # the district: the other school's case too
    assert elsewhere.reference_no in [row["reference_no"] for row in client.get(API).json()["results"]]

    client.force_login(clerk)
    only_enr = client.get(API, {"service": "enr"}).json()["results"]
    assert [row["reference_no"] for row in only_enr] == [decided.case.reference_no]
    rejected = client.get(API, {"status": "rejected"}).json()["results"]
    assert [row["reference_no"] for row in rejected] == [closed.reference_no]

    page = client.get(reverse("cases:queue")).content.decode()
    assert page.index(late.reference_no) < page.index(soon.reference_no) < page.index(later.reference_no)
    assert elsewhere.reference_no not in page
    filtered = client.get(reverse("cases:queue"), {"service": "ENR"}).content.decode()
    assert decided.case.reference_no in filtered and late.reference_no not in filtered
    assert client.get(reverse("cases:queue"), {"status": "bogus"}).status_code == 400


def test_the_queue_page_is_for_staff_only(client, today, parent):
    client.force_login(parent)
    assert client.get(reverse("cases:queue")).status_code == 403
