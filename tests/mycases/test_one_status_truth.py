"""One status truth (issue 13 item 3): the service's own page (the enrollment application, the bill),
"我的办件" and GET /api/v1/cases/ show the same status, deadline and next step for every state, because
all three ask ``portal.cases.selectors.case_summary``.

What they disagreed on before: a qualified application's page said 已办结 while "我的办件" said 办理中 with a
deadline; a bill's own case was due the day it was issued while the bill said 缴费期限 15 days later."""

import re

import pytest
from django.urls import reverse

from portal.cases import services as cases
from tests.factories import ApplicationFactory
from tests.payments.factories import FeeItemFactory, OrderFactory

STATUS = re.compile(r'id="case-status" data-status="(\w+)">([^<]+)<')
DEADLINE = re.compile(r'id="case-deadline" data-deadline="([^"]*)"')


def _card(page: str, reference_no: str) -> str:
    cards = [
        c for c in re.findall(r'<a class="card" href="[^"]+">(.*?)</a>', page, re.S) if reference_no in c
    ]
    assert len(cards) == 1, f"{reference_no} is not listed once on 我的办件"
    return cards[0]


def _three_views(client, case, own_page_url) -> dict[str, tuple[str, str, str]]:
    """(coarse status, label, deadline) as the service's page, 我的办件 and the API show them."""
    own = client.get(own_page_url)
    assert own.status_code == 200
    html = own.content.decode()
    (own_status, own_label), own_deadline = STATUS.search(html).groups(), DEADLINE.search(html).group(1)

    card = _card(client.get(reverse("cases:my_cases")).content.decode(), case.reference_no)
    card_status, card_label = re.search(r'data-status="(\w+)">([^<]+)<', card).groups()
    card_deadline = re.search(r'data-deadline="([^"]*)"', card)

    rows = [
        r for r in client.get("/api/v1/cases/").json()["results"] if r["reference_no"] == case.reference_no
    ]
    (row,) = rows
    api_label = row["status"]["label"]
    if row["status"]["service_label"] and row["status"]["service_label"] != api_label:
        api_label += " · " + row["status"]["service_label"]
    return {
        "page": (own_status, own_label.strip(), own_deadline),
        "my cases": (card_status, card_label.strip(), card_deadline.group(1) if card_deadline else ""),
        "api": (row["status"]["code"], api_label, row["deadline"] or ""),
    }


# state → coarse status, what is shown, whether a deadline is running
ENROLLMENT = {
    "verifying": ("submitted", "已提交 · 核验中", True),
    "needs_review": ("in_progress", "办理中 · 待人工审核", True),
    "awaiting_supplement": ("in_progress", "办理中 · 待补正材料", False),  # paused: waiting for the family
    "qualified": ("in_progress", "办理中 · 符合条件", False),  # decided; admission follows the allocation
    "rejected": ("rejected", "不予办理", False),
    "admitted": ("done", "已办结 · 已录取", False),
    "withdrawn": ("withdrawn", "已撤回", False),
}


@pytest.mark.parametrize("state", list(ENROLLMENT))
def test_an_application_shows_one_status_and_deadline_everywhere(
    client, today, parent, district, school, state
):
    application = ApplicationFactory(guardian=parent, district=district, zone=school, **{state: True})
    case = application.case
    if state == "admitted":  # what admission's admit does to the case (the factory stops at the state)
        cases.case_transition(case=case, transition="complete", by=None, note="已录取")
    case.refresh_from_db()
    client.force_login(parent)
    views = _three_views(client, case, reverse("enrollment:application", args=[case.reference_no]))

    coarse, label, running = ENROLLMENT[state]
    deadline = case.deadline.isoformat() if running else ""
    assert views == {name: (coarse, label, deadline) for name in ("page", "my cases", "api")}
    page = client.get(reverse("enrollment:application", args=[case.reference_no])).content.decode()
    closed = coarse in ("done", "rejected", "withdrawn")
    assert ("已办结" in page) == closed  # 办结 (closed, either way) never for an application still open


# order state → what the services do to the bill's own case, coarse status, what is shown, deadline running
ORDERS = {
    "created": (None, "submitted", "已提交 · 待缴费", True),
    "paid": ("complete", "done", "已办结 · 已缴费", False),
    "partly_refunded": ("complete", "done", "已办结 · 部分退费", False),
    "refunded": ("complete", "done", "已办结 · 已退费", False),
    "expired": ("withdraw", "withdrawn", "已撤回 · 已过期", False),
    "closed": ("withdraw", "withdrawn", "已撤回 · 已关闭", False),
}


@pytest.mark.parametrize("state", list(ORDERS))
def test_a_bill_shows_one_status_and_its_due_date_everywhere(client, today, parent, district, state):
    order = OrderFactory(
        fee_item=FeeItemFactory(district=district, exam=True), payer=parent, target_state=state
    )
    transition, coarse, label, running = ORDERS[state]
    if transition:  # what payments' services do to the bill's own case on payment, expiry or closing
        cases.case_transition(case=order.case, transition=transition, by=None, note=order.title)
    client.force_login(parent)
    views = _three_views(client, order.case, reverse("payments:order", args=[order.order_no]))

    due = order.expires_at.astimezone(cases.BUREAU_TZ).date().isoformat()
    assert views == {name: (coarse, label, due if running else "") for name in ("page", "my cases", "api")}
    if running:  # the bill's own 缴费期限 is the case's deadline
        page = client.get(reverse("payments:order", args=[order.order_no])).content.decode()
        assert f"{due} " in page.split('id="h-pay"')[1].split("</section>")[0]  # "Pay by <due> 23:59"


def test_a_bills_case_is_due_when_the_bill_is_and_a_calendar_change_does_not_move_it(today, parent, district):
    order = OrderFactory(fee_item=FeeItemFactory(district=district, exam=True, days_to_pay=15), payer=parent)
    order.case.refresh_from_db()
    due = order.expires_at.astimezone(cases.BUREAU_TZ).date()
    assert (order.case.accepted_on, order.case.deadline) == (today, due)
    assert cases.case_recompute_deadline(case=order.case) is False
    order.case.refresh_from_db()
    assert order.case.deadline == due
