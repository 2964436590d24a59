"""Daily reconciliation against the sandbox platform's statement file: a payment whose notification was
lost is repaired; what cannot be repaired is reported to the district's bureau staff."""

import datetime as dt

import pytest
from django.utils import timezone

from payments import platform, refunds
from payments.catalogue import PaymentAction
from payments.models import IssueKind, Order, OrderState, ReconciliationRun, ReconciliationStatus, RefundState
from payments.reconciliation import StatementError, parse_statement, reconcile
from payments.services import order_confirm_paid
from portal.cases.models import CaseEvent
from portal.cases.services import local_today
from portal.notify.models import Message
from sandbox.payments.models import PaymentFault, PlatformOrder, PlatformStatus
from tests.i18n import zh, zh_format
from tests.payments.conftest import past

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def _run(day=None):
        with django_capture_on_commit_callbacks(execute=True):
            return reconcile(day=day or local_today())

    return _run


def kinds(result: ReconciliationRun) -> list[str]:
    return sorted(result.issues.values_list("kind", flat=True))


def test_reconciliation_repairs_an_order_whose_notification_was_dropped(issue, tester, run, payer, bureau):
    dropped, delivered = issue(), issue()
    PaymentFault.objects.create(drop_rate=1.0)
    tester.pay(dropped)
    PaymentFault.objects.update(drop_rate=0.0)
    tester.pay(delivered)
    assert (dropped.state, delivered.state) == (OrderState.CREATED, OrderState.PAID)

    result = run()
    dropped.refresh_from_db()
    assert dropped.state == OrderState.PAID and dropped.paid_via == "reconciliation"
    assert dropped.platform_trade_no == PlatformOrder.objects.get(out_trade_no=dropped.order_no).trade_no
    assert result.status == ReconciliationStatus.REPAIRED
    assert (result.payments, result.payments_fen, result.repaired, result.mismatches) == (2, 28100, 1, 0)
    assert kinds(result) == [IssueKind.REPAIRED_PAYMENT]
    assert result.issues.get().order == dropped
    assert (
        Message.objects.filter(recipient=payer, subject__contains=zh("Payment received: %(title)s")).count()
        == 2
    )
    assert not Message.objects.filter(
        recipient=bureau, subject__contains=zh("Payment reconciliation %(day)s: %(n)d mismatch(es)")
    ).exists()

    again = run()  # running the day again changes nothing and keeps the repair on record
    assert again.pk == result.pk and again.status == ReconciliationStatus.REPAIRED and again.repaired == 1
    assert CaseEvent.objects.filter(case=dropped.case, action=PaymentAction.PAID).count() == 1


def test_a_refund_whose_answer_was_lost_is_booked_from_the_statement(issue, tester, run, bureau, monkeypatch):
    order = issue()
    tester.pay(order)
    monkeypatch.setattr(refunds, "refund_execute", lambda **kwargs: "waiting")  # the answer never came back
    made = refunds.order_refund(order=order, by=bureau, amount_fen=4050, reason="部分退费")
    platform.refund(out_trade_no=order.order_no, refund_no=made.refund_no, amount_fen=4050, reason="部分退费")
    made.refresh_from_db()
    assert made.state == RefundState.REQUESTED  # booked here as requested, carried out at the platform

    result = run()
    made.refresh_from_db()
    order.refresh_from_db()
    assert made.state == RefundState.SUCCEEDED
    assert (order.state, order.refunded_fen, order.refund_pending_fen) == (
        OrderState.PARTLY_REFUNDED,
        4050,
        0,
    )
    assert kinds(result) == [IssueKind.REPAIRED_REFUND]
    assert (result.refunds, result.refunds_fen) == (1, 4050)


def test_mismatches_are_listed_traced_and_reported_to_bureau_staff(issue, tester, run, bureau, run_task):
    # 1. paid at the platform although it expired here (the platform misbehaved)
    expired = issue()
    Order.objects.filter(pk=expired.pk).update(expires_at=past())
    run_task("payments.sweep")
    PlatformOrder.objects.filter(out_trade_no=expired.order_no).update(
        status=PlatformStatus.SUCCESS, paid_at=timezone.now(), trade_no="T-after-close", closed_reason=""
    )
    # 2. recorded here as paid, unknown to the platform
    phantom = issue()
    order_confirm_paid(
        order_no=phantom.order_no,
        amount_fen=phantom.amount_fen,
        trade_no="T-phantom",
        paid_at=timezone.now(),
        via="notification",
    )
    # 3. a payment on the statement the portal never issued
    PlatformOrder.objects.create(
        merchant="edu-portal",
        out_trade_no="JF-NOT-OURS",
        payment_code="33040000000000000001",
        subject="?",
        payer_name="?",
        amount_fen=999,
        notify_url="http://127.0.0.1:8000/payments/notify/",
        expire_at=timezone.now(),
        status=PlatformStatus.SUCCESS,
        trade_no="T-stranger",
        paid_at=timezone.now(),
    )
    # 4. a different amount on the statement than the order's
    wrong = issue()
    tester.pay(wrong)
    PlatformOrder.objects.filter(out_trade_no=wrong.order_no).update(amount_fen=wrong.amount_fen + 100)

    result = run()
    assert result.status == ReconciliationStatus.MISMATCHES and result.mismatches == 4
    assert kinds(result) == sorted(
        [
            IssueKind.PAID_NOT_PAYABLE,
            IssueKind.MISSING_AT_PLATFORM,
            IssueKind.UNKNOWN_ORDER,
            IssueKind.AMOUNT_MISMATCH,
        ]
    )
    expired.refresh_from_db()
    assert expired.state == OrderState.EXPIRED  # never silently "repaired" into paid
    for order in (expired, phantom, wrong):
        assert CaseEvent.objects.filter(case=order.case, action=PaymentAction.MISMATCH).exists()
    report = Message.objects.filter(
        recipient=bureau, subject__contains=zh("Payment reconciliation %(day)s: %(n)d mismatch(es)")
    ).get()
    assert report.subject == zh_format(
        "Payment reconciliation %(day)s: %(n)d mismatch(es)", day=result.statement_date, n=4
    )
    for order_no in (expired.order_no, phantom.order_no, wrong.order_no, "JF-NOT-OURS"):
        assert order_no in report.body


def test_a_statement_that_cannot_be_fetched_leaves_a_failed_run(run):
    PaymentFault.objects.create(error_rate=1.0)
    result = run()
    assert result.status == ReconciliationStatus.FAILED and "503" in result.error


def test_a_malformed_statement_is_refused():
    with pytest.raises(StatementError):
        parse_statement(b"type,out_trade_no\nPAY,JF1\n")
    header = b"type,out_trade_no,trade_no,payment_code,amount_fen,time,refund_no,platform_refund_no\n"
    with pytest.raises(StatementError):
        parse_statement(header + b"PAY,JF1,T1,1,12.5,2027-05-10T09:00:00+08:00,,\n")
    assert parse_statement(header) == []


def test_the_daily_task_reconciles_yesterday(run_task):
    status = run_task("payments.reconcile")
    run = ReconciliationRun.objects.get()
    assert run.statement_date == local_today() - dt.timedelta(days=1)
    assert status == run.status == ReconciliationStatus.BALANCED
