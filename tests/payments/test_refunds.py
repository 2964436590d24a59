"""Full and partial refunds: never more than was paid — by the service's check, by the reservation under
the order's row lock when two refunds race, by the platform, and by the database's CHECK constraint."""

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from payments import refunds
from payments.catalogue import PaymentAction
from payments.models import NotificationOutcome, Order, OrderState, PaymentNotification, Refund, RefundState
from payments.platform import PlatformRefused
from payments.platform import refund as platform_refund
from portal.cases.models import CaseEvent
from portal.cases.workflow import ActionNotAllowed
from portal.notify.models import Message
from sandbox.payments.models import PaymentFault, PlatformOrder
from tests.i18n import zh
from tests.payments.conftest import postgresql_only
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(issue, tester):
    order = issue()
    tester.pay(order)
    assert order.state == OrderState.PAID and order.paid_fen == 14050
    return order


@pytest.fixture
def refund(bureau, django_capture_on_commit_callbacks):
    def _refund(order, amount_fen=None, reason="考试取消，退还报名费"):
        with django_capture_on_commit_callbacks(execute=True):
            made = refunds.order_refund(order=order, by=bureau, amount_fen=amount_fen, reason=reason)
        made.refresh_from_db()
        order.refresh_from_db()
        return made

    return _refund


def test_a_partial_then_a_full_refund_never_refund_more_than_was_paid(paid, refund, payer, tester):
    first = refund(paid, 5000)
    assert first.state == RefundState.SUCCEEDED and first.platform_refund_no
    assert (paid.state, paid.refunded_fen, paid.refund_pending_fen) == (OrderState.PARTLY_REFUNDED, 5000, 0)

    with pytest.raises(ValidationError) as too_much:  # "refund it all" by the original amount: too much now
        refund(paid, 14050)
    assert "¥90.50" in " ".join(too_much.value.message_dict["amount"])
    paid.refresh_from_db()
    assert (paid.refunded_fen, paid.refund_pending_fen) == (5000, 0)

    rest = refund(paid)  # the full refund: whatever is left
    assert rest.amount_fen == 9050 and rest.state == RefundState.SUCCEEDED
    assert (paid.state, paid.refunded_fen) == (OrderState.REFUNDED, 14050)

    with pytest.raises(ActionNotAllowed) as nothing_left:
        refund(paid, 1)
    assert nothing_left.value.code == "nothing_left"  # everything paid has been refunded
    assert PlatformOrder.objects.get(out_trade_no=paid.order_no).refunded_fen == 14050
    assert Refund.objects.filter(order=paid).count() == 2
    events = CaseEvent.objects.filter(case=paid.case, action=PaymentAction.REFUNDED)
    assert [e.data["refunded_fen"] for e in events.order_by("seq")] == [5000, 14050]
    assert Message.objects.filter(recipient=payer, subject__contains=zh("Refund: %(title)s")).count() == 2
    # the platform's own refund.success notifications arrive afterwards: acknowledged, nothing changes
    assert set(
        PaymentNotification.objects.filter(event="refund.success").values_list("outcome", flat=True)
    ) == {NotificationOutcome.DUPLICATE}


def test_refund_input_is_checked(paid, refund, payer, bureau):
    with pytest.raises(ValidationError) as bad:
        refunds.order_refund(order=paid, by=bureau, amount_fen=0, reason="")
    assert set(bad.value.message_dict) == {"amount", "reason"}
    with pytest.raises(ValidationError) as not_int:
        refunds.order_refund(order=paid, by=bureau, amount_fen=12.5, reason="x")
    assert "amount" in not_int.value.message_dict
    with pytest.raises(PermissionDenied):
        refunds.order_refund(order=paid, by=payer, reason="我要退款")


def test_an_unpaid_bill_cannot_be_refunded(issue, refund):
    order = issue()
    with pytest.raises(ActionNotAllowed):
        refund(order, 100)


def test_the_database_refuses_refunds_above_what_was_paid(paid):
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=paid.pk).update(refunded_fen=paid.paid_fen + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=paid.pk).update(refunded_fen=10000, refund_pending_fen=5000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=paid.pk).update(paid_fen=1)  # paid in full or not at all


def test_the_platform_refuses_to_refund_more_than_was_paid(paid, refund):
    refund(paid, 10000)
    with pytest.raises(PlatformRefused) as refused:
        platform_refund(
            out_trade_no=paid.order_no, refund_no="TK-outside-the-portal", amount_fen=5000, reason="x"
        )
    assert refused.value.code == "exceeds_paid"


def test_a_refund_the_platform_cannot_take_now_is_sent_again_by_the_sweep(paid, refund, run_task):
    PaymentFault.objects.create(error_rate=1.0)
    made = refund(paid, 3000)
    assert made.state == RefundState.REQUESTED and made.last_error
    assert (paid.state, paid.refund_pending_fen, paid.refundable_fen) == (OrderState.PAID, 3000, 11050)
    PaymentFault.objects.update(error_rate=0.0)
    run_task("payments.sweep")
    made.refresh_from_db()
    paid.refresh_from_db()
    assert made.state == RefundState.SUCCEEDED
    assert (paid.state, paid.refunded_fen, paid.refund_pending_fen) == (OrderState.PARTLY_REFUNDED, 3000, 0)


def test_a_refund_the_platform_refuses_releases_its_reservation(paid, refund):
    PlatformOrder.objects.filter(out_trade_no=paid.order_no).update(refunded_fen=14000)  # refunded elsewhere
    made = refund(paid, 3000)
    assert made.state == RefundState.FAILED and "exceeds_paid" in made.last_error
    assert (paid.state, paid.refund_pending_fen, paid.refunded_fen) == (OrderState.PAID, 0, 0)
    assert CaseEvent.objects.filter(case=paid.case, action=PaymentAction.REFUND_FAILED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_refunds_at_the_same_moment_cannot_exceed_what_was_paid(
    district, exam_fee, bureau, monkeypatch, django_capture_on_commit_callbacks, client
):
    postgresql_only()
    from payments.services import order_issue
    from tests.factories import UserFactory

    payer = UserFactory(phone=None, email="")
    with django_capture_on_commit_callbacks(execute=True):
        order = order_issue(fee_item=exam_fee, payer=payer, subject_name="王小𬌗")
        client.post(
            f"/sandbox/payments/pay/{Order.objects.get(pk=order.pk).payment_code}/", {"action": "pay"}
        )
    order.refresh_from_db()
    assert order.state == OrderState.PAID  # the platform's notification arrived when its request committed

    barrier, results = threading.Barrier(2), []
    real_create = Refund.objects.create

    def slow_create(**kwargs):  # widen the window between the check and the write
        made = real_create(**kwargs)
        time.sleep(0.3)
        return made

    monkeypatch.setattr(Refund.objects, "create", slow_create)

    def worker():
        barrier.wait()
        try:
            made = refunds.order_refund(
                order=Order.objects.get(pk=order.pk), by=bureau, amount_fen=10000, reason="退费"
            )
            results.append(made.state)
        except ValidationError as exc:
            results.append(exc.message_dict.get("amount", ["?"])[0])

    assert run_in_threads(worker, 2, timeout=30) == []
    assert Refund.objects.count() == 1
    assert len(results) == 2 and RefundState.SUCCEEDED in results
    assert any("¥40.50" in str(r) for r in results)  # the second saw the first's reservation
    order.refresh_from_db()
    assert (order.state, order.refunded_fen, order.refund_pending_fen) == (
        OrderState.PARTLY_REFUNDED,
        10000,
        0,
    )
