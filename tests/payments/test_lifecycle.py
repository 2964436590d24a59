"""A bill from issue to paid, expired or closed, through the real path: the services call the sandbox
payment platform over the signed HTTP client (in-process), the tester pays on the sandbox's pay page, and
the platform's notification comes back to the portal's endpoint."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from payments import services
from payments.catalogue import PaymentAction
from payments.models import NotificationOutcome, Order, OrderState, PaymentNotification
from portal.cases.models import CaseEvent, CaseStatus
from portal.cases.workflow import ActionNotAllowed
from portal.notify.models import Message
from sandbox.payments.models import PaymentFault, PlatformOrder, PlatformStatus
from tests.factories import DistrictFactory, UserFactory
from tests.i18n import zh
from tests.payments.conftest import past

pytestmark = pytest.mark.django_db


def actions(order: Order) -> list[str]:
    return list(CaseEvent.objects.filter(case=order.case).order_by("seq").values_list("action", flat=True))


def test_a_bill_gets_a_payment_code_and_pay_link_from_the_platform(issue, payer, tester):
    order = issue()
    assert order.state == OrderState.CREATED
    assert re.fullmatch(r"\d{20}", order.payment_code)
    assert order.pay_url.endswith(f"/sandbox/payments/pay/{order.payment_code}/")
    assert order.amount_fen == 14050 and order.expires_at > timezone.now() + dt.timedelta(days=14)
    # a standalone bill opens a case of the FEE item: the family sees it in "my cases"
    assert order.case.reference_no.startswith("JY-FEE-") and order.case.applicant == payer
    assert actions(order)[-2:] == [PaymentAction.BILL_ISSUED, PaymentAction.PAYMENT_CODE]
    assert Message.objects.filter(recipient=payer, subject__contains="¥140.50").exists()
    at_platform = tester.platform_order(order)
    assert (at_platform.amount_fen, at_platform.status) == (14050, PlatformStatus.NOTPAY)


def test_registering_again_returns_the_same_code(issue):
    order = issue()
    code = order.payment_code
    Order.objects.filter(pk=order.pk).update(payment_code="", pay_url="", registered_at=None)
    assert services.order_register(order_id=order.pk) == "registered"
    order.refresh_from_db()
    assert order.payment_code == code  # the platform is idempotent by order number


def test_paying_on_the_pay_page_marks_the_bill_paid_once(issue, tester, payer):
    order = issue()
    response = tester.pay(order)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/payments/orders/{order.order_no}/?platform_status=paid")
    assert order.state == OrderState.PAID and order.paid_fen == 14050 and order.paid_via == "notification"
    assert order.platform_trade_no == tester.platform_order(order).trade_no
    assert order.receipt_no.endswith(f"{order.pk:010d}")
    assert PaymentNotification.objects.get().outcome == NotificationOutcome.APPLIED
    assert actions(order).count(PaymentAction.PAID) == 1
    order.case.refresh_from_db()
    assert order.case.status == CaseStatus.DONE  # the bill's own case is done when paid
    assert (
        Message.objects.filter(recipient=payer, subject__contains=zh("Payment received: %(title)s")).count()
        == 1
    )


def test_a_failed_or_cancelled_attempt_leaves_the_bill_payable(issue, tester):
    order = issue()
    failed = tester.page(order, "fail")
    assert failed.status_code == 200 and "insufficient balance" in failed.content.decode()
    cancelled = tester.page(order, "cancel")
    assert cancelled["Location"].endswith("?platform_status=cancelled")
    order.refresh_from_db()
    assert order.state == OrderState.CREATED and tester.platform_order(order).status == PlatformStatus.NOTPAY
    assert not PaymentNotification.objects.exists()
    tester.pay(order)
    assert order.state == OrderState.PAID


def test_the_sweep_expires_an_unpaid_bill_after_closing_it_at_the_platform(issue, tester, payer, run_task):
    order = issue()
    Order.objects.filter(pk=order.pk).update(expires_at=past())
    run_task("payments.sweep")
    order.refresh_from_db()
    assert order.state == OrderState.EXPIRED and order.closed_at is not None
    at_platform = tester.platform_order(order)
    assert (at_platform.status, at_platform.closed_reason) == (PlatformStatus.CLOSED, "merchant")
    # the platform's trade.closed notification arrives afterwards and changes nothing
    assert list(PaymentNotification.objects.values_list("outcome", flat=True)) == [
        NotificationOutcome.DUPLICATE
    ]
    order.case.refresh_from_db()
    assert order.case.status == CaseStatus.WITHDRAWN
    assert (
        Message.objects.filter(recipient=payer, subject__contains=zh("Bill expired: %(title)s")).count() == 1
    )
    paid_page = tester.page(order, "pay")  # the family can no longer pay it at the platform
    assert "已关闭" in paid_page.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.EXPIRED


def test_expiry_records_a_payment_whose_notification_was_lost(issue, tester, run_task):
    order = issue()
    PaymentFault.objects.create(drop_rate=1.0)
    tester.pay(order)
    assert order.state == OrderState.CREATED  # the notification was dropped
    Order.objects.filter(pk=order.pk).update(expires_at=past())
    run_task("payments.sweep")
    order.refresh_from_db()
    assert order.state == OrderState.PAID and order.paid_via == "query"


def test_the_platform_closing_an_expired_order_expires_it_here(issue, tester):
    order = issue()
    Order.objects.filter(pk=order.pk).update(expires_at=past())
    PlatformOrder.objects.filter(out_trade_no=order.order_no).update(expire_at=past())
    tester.page(order, "pay")  # the platform notices its own expiry and tells the portal
    order.refresh_from_db()
    assert order.state == OrderState.EXPIRED
    assert PaymentNotification.objects.get().outcome == NotificationOutcome.APPLIED


def test_bureau_staff_close_a_bill_issued_in_error(
    issue, bureau, payer, tester, django_capture_on_commit_callbacks
):
    order = issue()
    with pytest.raises(ValidationError) as missing:
        services.order_close(order=order, by=bureau, reason=" ")
    assert "reason" in missing.value.message_dict
    with pytest.raises(PermissionDenied):
        services.order_close(order=order, by=payer, reason="重复开具")
    elsewhere = UserFactory(bureau=True, district=DistrictFactory(code="330402", name="南湖区"))
    with pytest.raises(PermissionDenied):
        services.order_close(order=order, by=elsewhere, reason="重复开具")
    with django_capture_on_commit_callbacks(execute=True):
        services.order_close(order=order, by=bureau, reason="重复开具")
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED
    assert tester.platform_order(order).status == PlatformStatus.CLOSED
    assert Message.objects.filter(recipient=payer, body__contains="重复开具").exists()
    with pytest.raises(ActionNotAllowed):
        services.order_close(order=order, by=bureau, reason="again")


def test_closing_a_bill_that_was_just_paid_records_the_payment_instead(issue, bureau, tester):
    order = issue()
    PaymentFault.objects.create(drop_rate=1.0)
    tester.pay(order)
    with pytest.raises(ActionNotAllowed) as refused:
        services.order_close(order=order, by=bureau, reason="重复开具")
    assert refused.value.code == "paid"
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_the_family_can_ask_the_platform_after_paying(issue, tester):
    order = issue()
    PaymentFault.objects.create(drop_rate=1.0)
    tester.pay(order)
    assert services.order_refresh(order=order).outcome == NotificationOutcome.APPLIED
    order.refresh_from_db()
    assert order.state == OrderState.PAID and order.paid_via == "query"


def test_a_bill_issued_while_the_platform_is_down_gets_its_code_from_the_sweep(issue, run_task):
    PaymentFault.objects.create(error_rate=1.0)
    order = issue()
    assert order.payment_code == "" and order.register_attempts == 1 and "503" in order.last_platform_error
    PaymentFault.objects.update(error_rate=0.0)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - dt.timedelta(minutes=3))
    assert run_task("payments.sweep")["registrations"] == 1
    order.refresh_from_db()
    assert order.payment_code and order.last_platform_error == ""


def test_the_sweep_gives_up_re_registering_after_many_attempts(issue, run_task):
    PaymentFault.objects.create(error_rate=1.0)
    order = issue()
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=3), register_attempts=services.MAX_REGISTER_ATTEMPTS
    )
    assert run_task("payments.sweep")["registrations"] == 0
