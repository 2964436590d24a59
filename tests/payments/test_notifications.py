"""The notification endpoint: however often and in whatever order a message arrives, the order changes
state exactly once; forged, replayed, malformed, wrong-amount and out-of-order messages are refused and
logged (``PaymentNotification``, visible in the admin), and bureau staff hear of the suspicious ones."""

import json
import threading
import time

import pytest
from django.conf import settings
from django.utils import timezone

from payments import notifications
from payments.catalogue import PaymentAction
from payments.models import NotificationOutcome, Order, OrderState, PaymentNotification, Refund
from portal.cases.models import CaseEvent
from portal.core.http import sign_headers
from portal.notify.models import Message
from sandbox.payments.models import PaymentFault, PlatformNotification
from tests.i18n import zh
from tests.payments.conftest import NOTIFY_PATH, past, postgresql_only
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def outcomes() -> list[str]:
    return list(PaymentNotification.objects.order_by("pk").values_list("outcome", flat=True))


def paid_events(order: Order) -> int:
    return CaseEvent.objects.filter(case=order.case, action=PaymentAction.PAID).count()


def test_a_notification_delivered_ten_times_changes_the_order_once(issue, tester, payer):
    order = issue()
    tester.pay(order)  # the first delivery
    notification = PlatformNotification.objects.get(order__out_trade_no=order.order_no, event="trade.success")
    for _ in range(9):  # at least once: the platform sends the same message again, each a fresh request
        assert tester.redeliver(notification) == "delivered"
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert outcomes() == [NotificationOutcome.APPLIED] + [NotificationOutcome.DUPLICATE] * 9
    assert paid_events(order) == 1
    assert (
        Message.objects.filter(recipient=payer, subject__contains=zh("Payment received: %(title)s")).count()
        == 1
    )
    notification.refresh_from_db()
    assert notification.attempts == 10 and notification.delivered_at is not None


def test_the_platform_repeating_a_message_by_itself_is_harmless(issue, tester):
    order = issue()
    PaymentFault.objects.create(duplicate_rate=1.0, seed=7)  # every message is sent three times
    tester.pay(order)
    assert order.state == OrderState.PAID
    assert sorted(outcomes()) == sorted([NotificationOutcome.APPLIED] + [NotificationOutcome.DUPLICATE] * 2)
    assert paid_events(order) == 1


def test_the_same_request_sent_again_is_refused_as_a_replay(issue, tester):
    order = issue()
    body = json.dumps(tester.paid_message(order), ensure_ascii=False).encode()
    first = tester.notify(body)
    assert first.status_code == 200 and first.json()["code"] == "success"
    again = tester.notify(body, headers=first.signed_headers)  # byte for byte, same nonce
    assert again.status_code == 401 and again.json()["code"] == "replayed"
    assert outcomes() == [NotificationOutcome.APPLIED, NotificationOutcome.REPLAYED]


def test_paid_after_expired_is_refused_logged_and_reported(issue, tester, bureau, run_task):
    order = issue()
    Order.objects.filter(pk=order.pk).update(expires_at=past())
    run_task("payments.sweep")
    order.refresh_from_db()
    assert order.state == OrderState.EXPIRED
    # a validly signed "paid" arrives late for the expired bill (the platform closed it: it cannot be real)
    response = tester.notify(tester.paid_message(order))
    assert response.status_code == 409 and response.json()["code"] == NotificationOutcome.OUT_OF_ORDER
    again = tester.notify(tester.paid_message(order))
    assert again.status_code == 409
    order.refresh_from_db()
    assert order.state == OrderState.EXPIRED and order.paid_fen == 0  # the one state change stands
    log = PaymentNotification.objects.filter(outcome=NotificationOutcome.OUT_OF_ORDER)
    assert log.count() == 2 and log.first().order == order and zh("Expired") in log.first().detail
    events = list(CaseEvent.objects.filter(case=order.case).values_list("action", flat=True))
    assert events.count(PaymentAction.EXPIRED) == 1 and PaymentAction.PAID not in events
    assert events.count(PaymentAction.NOTIFICATION_REFUSED) == 2
    alerts = Message.objects.filter(recipient=bureau, subject__contains=order.order_no)
    assert alerts.count() == 1  # told once, not once per copy


def test_expired_after_paid_is_refused_too(issue, tester, bureau):
    order = issue()
    tester.pay(order)
    closed = {
        "notify_id": "N-late-close",
        "event": "trade.closed",
        "out_trade_no": order.order_no,
        "amount_fen": order.amount_fen,
        "closed_reason": "expired",
    }
    response = tester.notify(closed)
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert outcomes()[-1] == NotificationOutcome.OUT_OF_ORDER


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param({"secret": "not-the-notify-key"}, id="wrong-key"),
        pytest.param({"headers": {}}, id="unsigned"),
        pytest.param({"tamper": True}, id="body-altered-after-signing"),
        pytest.param({"stale": True}, id="timestamp-too-old"),
    ],
)
def test_a_forged_notification_is_refused_and_logged(issue, tester, forge):
    order = issue()
    message = tester.paid_message(order)
    if forge.get("tamper") or forge.get("stale"):
        body = json.dumps(message).encode()
        headers = sign_headers(
            app_key=settings.PAYMENT_APP_KEY,
            secret=settings.PAYMENT_NOTIFY_SECRET,
            method="POST",
            path=NOTIFY_PATH,
            body=body,
        )
        if forge.get("stale"):
            from portal.core.http import signature

            headers["X-Timestamp"] = str(int(time.time()) - 3600)
            headers["X-Signature"] = signature(
                settings.PAYMENT_NOTIFY_SECRET,
                "POST",
                NOTIFY_PATH,
                headers["X-Timestamp"],
                headers["X-Nonce"],
                body,
            )
        else:
            body = json.dumps({**message, "amount_fen": 1}).encode()
        response = tester.notify(body, headers=headers)
    else:
        response = tester.notify(message, **forge)
    assert response.status_code == 401 and response.json()["code"] == NotificationOutcome.BAD_SIGNATURE
    order.refresh_from_db()
    assert order.state == OrderState.CREATED
    row = PaymentNotification.objects.get()
    assert row.outcome == NotificationOutcome.BAD_SIGNATURE and row.body  # what arrived is kept as evidence


def test_a_notification_with_the_wrong_amount_is_refused_and_reported(issue, tester, bureau):
    order = issue()
    response = tester.notify(tester.paid_message(order, amount_fen=order.amount_fen - 1))
    assert response.status_code == 422 and response.json()["code"] == NotificationOutcome.AMOUNT_MISMATCH
    order.refresh_from_db()
    assert order.state == OrderState.CREATED and order.paid_fen == 0
    row = PaymentNotification.objects.get()
    assert (row.outcome, row.order, row.amount_fen) == (NotificationOutcome.AMOUNT_MISMATCH, order, 14049)
    assert (
        Message.objects.filter(
            recipient=bureau, subject__contains=zh("Payment of the wrong amount reported for %(no)s")
        ).count()
        == 1
    )
    tester.pay(order)  # the real payment, of the right amount, still goes through
    assert order.state == OrderState.PAID


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_fen": 140.5}, "amount_fen"),
        ({"amount_fen": "14050"}, "amount_fen"),
        ({"amount_fen": True}, "amount_fen"),
        ({"event": "trade.maybe"}, "event"),
        ({"paid_at": "yesterday"}, "paid_at"),
        ({"trade_no": ""}, "trade_no"),
        ({"out_trade_no": None}, "out_trade_no"),
    ],
)
def test_a_malformed_notification_is_refused_with_the_field_named(issue, tester, change, field):
    order = issue()
    response = tester.notify(tester.paid_message(order, **change))
    assert response.status_code == 400 and response.json()["code"] == NotificationOutcome.MALFORMED
    assert field in PaymentNotification.objects.get().detail
    order.refresh_from_db()
    assert order.state == OrderState.CREATED


def test_non_json_and_unknown_orders_are_refused(issue, tester):
    order = issue()
    assert tester.notify(b"\xff not json").status_code == 400
    unknown = tester.notify(tester.paid_message(order, out_trade_no="JF000000000000000000"))
    assert unknown.status_code == 404 and unknown.json()["code"] == NotificationOutcome.UNKNOWN_ORDER
    assert outcomes() == [NotificationOutcome.MALFORMED, NotificationOutcome.UNKNOWN_ORDER]


def test_a_second_transaction_for_a_paid_order_is_refused(issue, tester, bureau):
    order = issue()
    tester.pay(order)
    response = tester.notify(tester.paid_message(order, trade_no="T-another", notify_id="N-other"))
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.platform_trade_no != "T-another"
    assert Message.objects.filter(
        recipient=bureau, subject__contains=zh("Second payment reported for %(no)s")
    ).exists()


def test_without_a_notify_key_every_notification_is_refused(issue, tester, settings):
    order = issue()
    message = tester.paid_message(order)
    settings.PAYMENT_NOTIFY_SECRET = ""  # production without the secret set: nothing may be accepted
    response = tester.notify(message, secret="")
    assert response.status_code == 401
    order.refresh_from_db()
    assert order.state == OrderState.CREATED


# --- two workers, one message, the same moment (PostgreSQL row locks) -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_processing_the_same_notification_at_once_change_it_once(
    district, exam_fee, monkeypatch, django_capture_on_commit_callbacks
):
    postgresql_only()
    from payments.services import order_issue
    from tests.factories import UserFactory

    payer = UserFactory(phone=None, email="")  # no SMS: the threads share nothing but the database
    with django_capture_on_commit_callbacks(execute=True):
        order = order_issue(fee_item=exam_fee, payer=payer, subject_name="王小𬌗")
    order.refresh_from_db()
    message = {
        "notify_id": "N-race",
        "event": "trade.success",
        "out_trade_no": order.order_no,
        "payment_code": order.payment_code,
        "trade_no": "T-race",
        "amount_fen": order.amount_fen,
        "paid_at": timezone.now().isoformat(),
    }
    body = json.dumps(message).encode()

    # hold the row a while inside the winning transaction, so the other worker certainly waits on it
    original_pay = Order.pay

    def slow_pay(self, **kwargs):
        time.sleep(0.3)
        return original_pay(self, **kwargs)

    slow_pay._django_fsm = original_pay._django_fsm  # still the transition perform checks and takes
    monkeypatch.setattr(Order, "pay", slow_pay)
    barrier, results = threading.Barrier(2), []

    def worker():
        headers = sign_headers(
            app_key=settings.PAYMENT_APP_KEY,
            secret=settings.PAYMENT_NOTIFY_SECRET,
            method="POST",
            path=NOTIFY_PATH,
            body=body,
        )
        barrier.wait()
        started = time.monotonic()
        row = notifications.notification_receive(method="POST", path=NOTIFY_PATH, headers=headers, body=body)
        results.append((row.outcome, time.monotonic() - started))

    errors = run_in_threads(worker, 2, timeout=30)
    assert not errors, errors
    assert sorted(outcome for outcome, _ in results) == [
        NotificationOutcome.APPLIED,
        NotificationOutcome.DUPLICATE,
    ]
    assert max(seconds for _, seconds in results) >= 0.3  # the second one waited for the first
    order.refresh_from_db()
    assert order.state == OrderState.PAID and order.platform_trade_no == "T-race"
    assert CaseEvent.objects.filter(case=order.case, action=PaymentAction.PAID).count() == 1
    assert (
        Message.objects.filter(recipient=payer, subject__contains=zh("Payment received: %(title)s")).count()
        == 1
    )


def test_the_platform_closing_an_unpaid_bill_before_its_due_time_closes_it_here(issue, tester):
    order = issue()
    closed = {
        "notify_id": "N-closed-there",
        "event": "trade.closed",
        "out_trade_no": order.order_no,
        "amount_fen": order.amount_fen,
        "closed_reason": "merchant",
    }
    assert tester.notify(closed).status_code == 200
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED
    assert tester.notify({**closed, "notify_id": "N-closed-again"}).json()["code"] == "success"  # a repeat
    assert outcomes() == [NotificationOutcome.APPLIED, NotificationOutcome.DUPLICATE]


def test_refund_messages_must_name_a_refund_of_the_same_order(issue, tester):
    first, second = issue(), issue()
    tester.pay(first)
    message = {
        "notify_id": "N-refund",
        "event": "refund.success",
        "out_trade_no": second.order_no,
        "refund_no": "TK-unknown",
        "platform_refund_no": "R1",
        "refund_fen": 100,
    }
    assert tester.notify(message).status_code == 404
    Refund.objects.create(order=first, refund_no="TK-first-01", amount_fen=100, reason="x")
    wrong_order = tester.notify({**message, "notify_id": "N-refund-2", "refund_no": "TK-first-01"})
    assert wrong_order.status_code == 409
    assert outcomes()[-2:] == [NotificationOutcome.UNKNOWN_ORDER, NotificationOutcome.OUT_OF_ORDER]
