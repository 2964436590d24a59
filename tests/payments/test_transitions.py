"""The order workflow as tables: which action each state allows, and who may take the staff actions
(docs/workflows/payments.md)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from payments import refunds, services
from payments.models import NotificationOutcome, Order, OrderState, Refund
from portal.cases.workflow import ActionNotAllowed
from tests.factories import DistrictFactory, SchoolFactory, UserFactory
from tests.payments.conftest import past
from tests.payments.factories import OrderFactory

pytestmark = pytest.mark.django_db

STATES = ["created", "paid", "partly_refunded", "refunded", "expired", "closed"]

# what a "paid" report does in each state (same transaction number as recorded, for the paid ones)
PAID_REPORT = {
    "created": NotificationOutcome.APPLIED,
    "paid": NotificationOutcome.DUPLICATE,
    "partly_refunded": NotificationOutcome.DUPLICATE,
    "refunded": NotificationOutcome.DUPLICATE,
    "expired": NotificationOutcome.OUT_OF_ORDER,
    "closed": NotificationOutcome.OUT_OF_ORDER,
}
CLOSE_ALLOWED = {"created"}
REFUND_ALLOWED = {"paid", "partly_refunded"}
EXPIRE_ALLOWED = {"created"}


def make(state: str, fee_item, payer) -> Order:
    return OrderFactory(fee_item=fee_item, payer=payer, **({state: True} if state != "created" else {}))


@pytest.mark.parametrize("state", STATES)
def test_a_paid_report_in_each_state(state, exam_fee, payer, bureau):
    order = make(state, exam_fee, payer)
    result = services.order_confirm_paid(
        order_no=order.order_no,
        amount_fen=order.amount_fen,
        trade_no=order.platform_trade_no or "T-new",
        paid_at=timezone.now(),
        via="notification",
    )
    assert result.outcome == PAID_REPORT[state]
    order.refresh_from_db()
    assert order.state == (OrderState.PAID if state == "created" else state)


@pytest.mark.parametrize("state", STATES)
def test_closing_in_each_state(state, exam_fee, payer, bureau):
    order = make(state, exam_fee, payer)
    if state in CLOSE_ALLOWED:
        services.order_close(order=order, by=bureau, reason="开具错误")
        assert order.state == OrderState.CLOSED
    else:
        with pytest.raises(ActionNotAllowed):
            services.order_close(order=order, by=bureau, reason="开具错误")
        order.refresh_from_db()
        assert order.state == state


@pytest.mark.parametrize("state", STATES)
def test_refunding_in_each_state(state, exam_fee, payer, bureau):
    order = make(state, exam_fee, payer)
    if state in REFUND_ALLOWED:
        made = refunds.order_refund(order=order, by=bureau, amount_fen=100, reason="退费")
        assert made.amount_fen == 100 and Refund.objects.filter(order=order).count() == 1
    else:
        with pytest.raises(ActionNotAllowed):
            refunds.order_refund(order=order, by=bureau, amount_fen=100, reason="退费")
        assert not Refund.objects.filter(order=order).exists()


@pytest.mark.parametrize("state", STATES)
def test_expiring_in_each_state(state, exam_fee, payer):
    order = make(state, exam_fee, payer)
    Order.objects.filter(pk=order.pk).update(expires_at=past())
    order.refresh_from_db()
    result = services.order_expire(order=order)
    assert result == ("expired" if state in EXPIRE_ALLOWED else "skipped")


def test_an_unpaid_bill_before_its_due_time_does_not_expire(exam_fee, payer):
    order = make("created", exam_fee, payer)
    assert services.order_expire(order=order) == "skipped"


@pytest.fixture
def people(district):
    other = DistrictFactory(code="330402", name="南湖区")
    return {
        "bureau of the district": (UserFactory(bureau=True, district=district), True),
        "superuser": (UserFactory(is_superuser=True, is_staff=True), True),
        "bureau of another district": (UserFactory(bureau=True, district=other), False),
        "school clerk": (UserFactory(clerk=True, school=SchoolFactory(district=district)), False),
        "auditor": (UserFactory(auditor=True, district=district), False),
        "the payer": (None, False),
    }


@pytest.mark.parametrize(
    "who",
    [
        "bureau of the district",
        "superuser",
        "bureau of another district",
        "school clerk",
        "auditor",
        "the payer",
    ],
)
def test_who_may_close_and_refund(who, people, exam_fee, payer):
    user, allowed = people[who]
    user = user or payer
    unpaid, paid = make("created", exam_fee, payer), make("paid", exam_fee, payer)
    for action in (
        lambda: services.order_close(order=unpaid, by=user, reason="开具错误"),
        lambda: refunds.order_refund(order=paid, by=user, amount_fen=100, reason="退费"),
    ):
        if allowed:
            action()
        else:
            with pytest.raises(PermissionDenied):
                action()


def test_the_state_field_is_protected(exam_fee, payer):
    order = make("created", exam_fee, payer)
    with pytest.raises(AttributeError):
        order.state = OrderState.PAID
    with pytest.raises(ValidationError):
        services.order_close(order=order, by=None, reason="")
