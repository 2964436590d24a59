"""The family's bill pages, the REST API and the admin screens: each reads through the scoped selectors
(someone else's bill is a 404) and changes things only through the services; bad input is a field
error, never a 500."""

import pytest
from django.conf import settings

from payments.models import FeeItem, NotificationOutcome, Order, OrderState, PaymentNotification, RefundState
from sandbox.payments.models import PaymentFault
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- the family's pages ------------------------------------------------------------------------------


def test_the_family_sees_its_bill_with_payment_code_and_qr(issue, english):
    order = issue()
    english.force_login(order.payer)
    listing = english.get("/payments/").content.decode()
    assert order.order_no in listing and "¥140.50" in listing and "To pay" in listing
    page = english.get(f"/payments/orders/{order.order_no}/").content.decode()
    assert order.payment_code in page and "data:image/svg+xml" in page and "Pay now" in page
    assert order.case.reference_no in page  # the bill's case, in "my cases"
    assert english.get(f"/my/cases/{order.case.reference_no}/").status_code == 200


def test_someone_elses_bill_is_not_found(issue, client):
    order = issue()
    client.force_login(UserFactory())
    assert client.get(f"/payments/orders/{order.order_no}/").status_code == 404
    assert client.post(f"/payments/orders/{order.order_no}/pay/").status_code == 404
    assert client.get(f"/payments/orders/{order.order_no}/receipt.pdf").status_code == 404
    assert order.order_no not in client.get("/payments/").content.decode()


def test_pay_now_registers_the_bill_if_needed_and_goes_to_the_platform(
    issue, client, django_capture_on_commit_callbacks
):
    order = issue()
    Order.objects.filter(pk=order.pk).update(payment_code="", pay_url="", registered_at=None)
    client.force_login(order.payer)
    response = client.post(f"/payments/orders/{order.order_no}/pay/")
    order.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == order.pay_url and order.payment_code
    at_platform = client.get(response["Location"].removeprefix("http://127.0.0.1:8000"))
    assert at_platform.status_code == 200 and order.payment_code in at_platform.content.decode()


def test_pay_now_when_the_platform_is_down_says_so(issue, english):
    order = issue()
    Order.objects.filter(pk=order.pk).update(payment_code="", pay_url="", registered_at=None)
    PaymentFault.objects.create(error_rate=1.0)
    english.force_login(order.payer)
    response = english.post(f"/payments/orders/{order.order_no}/pay/", follow=True)
    assert response.status_code == 200 and "cannot be reached" in response.content.decode()


def test_without_the_platform_secret_pay_now_says_try_later(issue, english, settings):
    order = issue()
    Order.objects.filter(pk=order.pk).update(payment_code="", pay_url="", registered_at=None)
    settings.PAYMENT_APP_SECRET = ""  # a deployment that forgot it: no request leaves, no 500 either
    english.force_login(order.payer)
    response = english.post(f"/payments/orders/{order.order_no}/pay/", follow=True)
    assert response.status_code == 200 and "cannot be reached" in response.content.decode()


def test_staff_cannot_pay_a_familys_bill(issue, client, bureau):
    order = issue()
    client.force_login(bureau)
    response = client.post(f"/payments/orders/{order.order_no}/pay/")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/payments/orders/{order.order_no}/"
    )


def test_i_have_paid_asks_the_platform(issue, tester, english):
    order = issue()
    PaymentFault.objects.create(drop_rate=1.0)
    tester.pay(order)
    english.force_login(order.payer)
    waiting = english.get(f"/payments/orders/{order.order_no}/?platform_status=paid").content.decode()
    assert "confirming your payment" in waiting
    response = english.post(f"/payments/orders/{order.order_no}/check/", follow=True)
    assert "Your payment has been received." in response.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert order.receipt_no in english.get(f"/payments/orders/{order.order_no}/").content.decode()


def test_the_notification_endpoint_only_takes_posts(client):
    assert client.get("/payments/notify/").status_code == 405


# --- API ---------------------------------------------------------------------------------------------------


@pytest.fixture
def api(client):
    def _as(user):
        client.force_login(user)
        return client

    return _as


def test_api_lists_the_familys_bills_in_fen(issue, api):
    order = issue()
    body = api(order.payer).get("/api/v1/payments/orders/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["order_no"] == order.order_no and row["amount_fen"] == 14050 and row["state"] == "created"
    assert row["payment_code"] == order.payment_code and row["reference_no"] == order.case.reference_no
    assert api(UserFactory()).get(f"/api/v1/payments/orders/{order.order_no}/").status_code == 404


def test_api_pay_link(issue, api, bureau):
    order = issue()
    body = api(order.payer).post(f"/api/v1/payments/orders/{order.order_no}/pay/").json()
    assert body == {"payment_code": order.payment_code, "pay_url": order.pay_url}
    assert api(bureau).post(f"/api/v1/payments/orders/{order.order_no}/pay/").status_code == 403


def test_api_refunds(issue, tester, api, bureau, django_capture_on_commit_callbacks):
    order = issue()
    unpaid = api(bureau).post(
        f"/api/v1/payments/orders/{order.order_no}/refunds/", {"reason": "x"}, "application/json"
    )
    assert unpaid.status_code == 409
    tester.pay(order)
    url = f"/api/v1/payments/orders/{order.order_no}/refunds/"
    assert api(order.payer).post(url, {"reason": "退我"}, "application/json").status_code == 403
    bad = api(bureau).post(url, {"amount_fen": "12.5", "reason": ""}, "application/json")
    assert bad.status_code == 400 and set(bad.json()) == {"amount_fen", "reason"}
    too_much = api(bureau).post(url, {"amount_fen": 14051, "reason": "多退"}, "application/json")
    assert too_much.status_code == 400 and "amount" in too_much.json()
    with django_capture_on_commit_callbacks(execute=True):
        made = api(bureau).post(url, {"amount_fen": 4050, "reason": "部分退费"}, "application/json")
    assert made.status_code == 201 and made.json()["amount_fen"] == 4050
    detail = api(order.payer).get(f"/api/v1/payments/orders/{order.order_no}/").json()
    assert (detail["state"], detail["refunded_fen"], detail["refund_pending_fen"]) == (
        "partly_refunded",
        4050,
        0,
    )
    assert detail["refunds"][0]["refund_no"] == made.json()["refund_no"]


def test_api_receipt_needs_payment(issue, api):
    order = issue()
    response = api(order.payer).get(f"/api/v1/payments/orders/{order.order_no}/receipt.pdf")
    assert response.status_code == 409 and "detail" in response.json()


# --- admin -------------------------------------------------------------------------------------------------


@pytest.fixture
def bureau_admin(client, bureau):
    bureau.is_staff = True
    bureau.save()
    client.force_login(bureau)
    return client


def test_bureau_staff_edit_fee_items_in_yuan(bureau_admin, district):
    response = bureau_admin.post(
        "/admin/payments/feeitem/add/",
        {
            "code": "exam-2027",
            "name": "中考报名考试费",
            "kind": "exam",
            "billing": "one_off",
            "district": district.pk,
            "amount_fen": "140.50",
            "days_to_pay": 10,
            "billed_months": "1-12",
            "legal_basis": "",
            "description": "",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert FeeItem.objects.get(code="exam-2027").amount_fen == 14050
    bad = bureau_admin.post(
        "/admin/payments/feeitem/add/",
        {
            "code": "x",
            "name": "x",
            "kind": "exam",
            "billing": "one_off",
            "district": district.pk,
            "amount_fen": "1.234",
            "days_to_pay": 10,
            "billed_months": "1-12",
        },
    )
    assert bad.status_code == 200
    assert list(bad.context["adminform"].form.errors) == ["amount_fen"]  # "at most two decimals (fen)"


def test_bureau_staff_issue_a_one_off_bill_from_the_fee_item(bureau_admin, exam_fee, payer):
    url = f"/admin/payments/feeitem/{exam_fee.pk}/issue/"
    assert bureau_admin.get(url).status_code == 200
    unknown = bureau_admin.post(url, {"payer_phone": "13000000000", "subject_name": "王小明"})
    assert unknown.status_code == 200 and not Order.objects.exists()
    response = bureau_admin.post(
        url, {"payer_phone": payer.phone, "subject_name": "王小明", "subject_id_number": ""}
    )
    order = Order.objects.get()
    assert response.status_code == 302 and order.payer == payer and order.fee_item == exam_fee


def test_the_notification_log_is_visible_to_bureau_staff(issue, tester, bureau_admin):
    order = issue()
    tester.notify(tester.paid_message(order, amount_fen=1))
    tester.notify(b"{}", secret="forged")
    page = bureau_admin.get("/admin/payments/paymentnotification/").content.decode()
    assert PaymentNotification.objects.count() == 2
    assert order.order_no in page and str(NotificationOutcome.AMOUNT_MISMATCH.label) in page
    assert (
        bureau_admin.get(
            f"/admin/payments/paymentnotification/{PaymentNotification.objects.first().pk}/change/"
        ).status_code
        == 200
    )


def test_bureau_staff_refund_and_close_through_admin_actions(
    issue, tester, bureau_admin, django_capture_on_commit_callbacks
):
    paid, unpaid = issue(), issue()
    tester.pay(paid)
    form = bureau_admin.post("/admin/payments/order/", {"action": "refund", "_selected_action": [paid.pk]})
    assert form.status_code == 200 and "reason" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = bureau_admin.post(
            "/admin/payments/order/",
            {
                "action": "refund",
                "_selected_action": [paid.pk],
                "apply": "1",
                "amount": "40.50",
                "reason": "部分退费",
            },
        )
    assert done.status_code == 302
    paid.refresh_from_db()
    assert paid.state == OrderState.PARTLY_REFUNDED and paid.refunds.get().state == RefundState.SUCCEEDED
    closed = bureau_admin.post(
        "/admin/payments/order/",
        {"action": "close_bills", "_selected_action": [unpaid.pk], "apply": "1", "reason": "开具错误"},
    )
    assert closed.status_code == 302
    unpaid.refresh_from_db()
    assert unpaid.state == OrderState.CLOSED
    assert bureau_admin.get(f"/admin/payments/order/{paid.pk}/change/").status_code == 200


def test_the_order_admin_is_scoped_to_the_district(issue, client):
    from tests.factories import DistrictFactory

    order = issue()
    stranger = UserFactory(bureau=True, district=DistrictFactory(code="330402", name="南湖区"), is_staff=True)
    client.force_login(stranger)
    assert order.order_no not in client.get("/admin/payments/order/").content.decode()
    assert client.get(f"/admin/payments/order/{order.pk}/change/").status_code == 302  # "not found" redirect


def test_reconciliations_in_the_admin(bureau_admin, run_task):
    run_task("payments.reconcile")
    assert bureau_admin.get("/admin/payments/reconciliationrun/").status_code == 200
