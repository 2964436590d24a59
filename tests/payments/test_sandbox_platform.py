"""The payment platform stand-in itself, over HTTP: signed requests only, idempotent operations, the
statement file, fault injection, and delivery of notifications at least once."""

import csv
import datetime as dt
import io
import json

import httpx
import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone

from payments import platform
from portal.core.http import sign_headers
from sandbox.payments.delivery import send
from sandbox.payments.models import PaymentFault, PlatformNotification, PlatformOrder
from sandbox.payments.tasks import MAX_RETRIES, deliver

pytestmark = pytest.mark.django_db

API = "/sandbox/payments/api/"


def signed_post(client, operation: str, payload: dict, *, secret: str | None = None, headers=None):
    body = json.dumps(payload).encode()
    path = f"{API}{operation}/"
    headers = headers or sign_headers(
        app_key=settings.PAYMENT_APP_KEY,
        secret=settings.PAYMENT_APP_SECRET if secret is None else secret,
        method="POST",
        path=path,
        body=body,
    )
    response = client.post(path, data=body, content_type="application/json", headers=headers)
    response.sent_headers = headers
    return response


def new_order(**overrides) -> dict:
    payload = {
        "out_trade_no": "JF-TEST-1",
        "amount_fen": 68000,
        "subject": "2027年9月保育费",
        "payer_name": "王小𬌗",
        "expire_at": (timezone.now() + dt.timedelta(days=15)).isoformat(),
        "notify_url": "http://127.0.0.1:8000/payments/notify/",
        "return_url": "http://127.0.0.1:8000/payments/orders/JF-TEST-1/",
    }
    payload.update(overrides)
    return payload


def test_only_signed_requests_with_fresh_nonces_are_answered(client):
    order = new_order()
    assert signed_post(client, "orders/create", order, secret="wrong").json()["code"] == "bad_signature"
    first = signed_post(client, "orders/create", order)
    assert first.status_code == 200
    replay = signed_post(client, "orders/create", order, headers=first.sent_headers)
    assert (replay.status_code, replay.json()["code"]) == (401, "replayed")
    assert client.get(f"{API}orders/create/").status_code == 405


def test_creating_an_order_is_idempotent_by_its_number(client):
    first = signed_post(client, "orders/create", new_order()).json()["data"]
    again = signed_post(client, "orders/create", new_order()).json()["data"]
    assert first["payment_code"] == again["payment_code"] and PlatformOrder.objects.count() == 1
    conflict = signed_post(client, "orders/create", new_order(amount_fen=1))
    assert (conflict.status_code, conflict.json()["code"]) == (409, "conflict")


@pytest.mark.parametrize(
    "change",
    [
        {"amount_fen": 0},
        {"amount_fen": 12.5},
        {"notify_url": "ftp://x"},
        {"expire_at": "soon"},
        {"subject": ""},
    ],
)
def test_bad_orders_are_refused_with_the_field_named(client, change):
    response = signed_post(client, "orders/create", new_order(**change))
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert next(iter(change)) in response.json()["message"]


def test_an_order_expiring_in_the_past_is_refused(client):
    response = signed_post(
        client, "orders/create", new_order(expire_at=(timezone.now() - dt.timedelta(hours=1)).isoformat())
    )
    assert response.json()["code"] == "expired"


def test_the_statement_lists_the_days_payments_and_refunds(
    issue, tester, bureau, django_capture_on_commit_callbacks
):
    from payments.refunds import order_refund

    order = issue()
    tester.pay(order)
    with django_capture_on_commit_callbacks(execute=True):
        made = order_refund(order=order, by=bureau, amount_fen=50, reason="退费")
    rows = list(csv.DictReader(io.StringIO(platform.statement(date=timezone.localdate()).decode())))
    assert [(r["type"], r["out_trade_no"], r["amount_fen"]) for r in rows] == [
        ("PAY", order.order_no, "14050"),
        ("REFUND", order.order_no, "50"),
    ]
    assert rows[1]["refund_no"] == made.refund_no
    assert (
        platform.statement(date=timezone.localdate() - dt.timedelta(days=1)).count(b"\n") == 1
    )  # header only


def test_fault_injection_is_reproducible_with_a_seed(client):
    PaymentFault.objects.create(error_rate=0.5, seed=42)
    first = [signed_post(client, "orders/query", {"out_trade_no": "none"}).status_code for _ in range(8)]
    PaymentFault.objects.update(draws=0)
    second = [signed_post(client, "orders/query", {"out_trade_no": "none"}).status_code for _ in range(8)]
    assert first == second and set(first) == {404, 503}


def test_a_notification_the_merchant_refuses_is_not_sent_again(issue, tester, settings):
    order = issue()
    settings.PAYMENT_NOTIFY_SECRET = (
        "portal-changed-its-key"  # the portal now refuses the platform's signature
    )
    settings.SANDBOX_PAYMENT_MERCHANTS = {settings.PAYMENT_APP_KEY: (settings.PAYMENT_APP_SECRET, "old-key")}
    tester.pay(order)
    notification = PlatformNotification.objects.get(event="trade.success")
    assert (notification.attempts, notification.last_status, notification.delivered_at) == (1, 401, None)
    order.refresh_from_db()
    assert order.state == "created"


def test_a_notification_that_gets_no_answer_is_retried_with_backoff(issue, tester, monkeypatch):
    order = issue()
    PaymentFault.objects.create(drop_rate=1.0)  # keep the pay click from delivering; deliver by hand below
    tester.pay(order)
    notification = PlatformNotification.objects.get(event="trade.success")
    PlatformNotification.objects.filter(pk=notification.pk).update(dropped=False)

    def unreachable(**kwargs):
        raise httpx.ConnectError("portal down")

    monkeypatch.setattr("sandbox.payments.delivery.http.signed_post_json", unreachable)
    asked = []
    monkeypatch.setattr(deliver, "retry", lambda **kwargs: asked.append(kwargs) or Retry())
    for retries, expected in ((0, [{"countdown": 5}]), (3, [{"countdown": 40}]), (MAX_RETRIES, [])):
        asked.clear()
        deliver.push_request(retries=retries, is_eager=False)
        try:
            if expected:
                with pytest.raises(Retry):
                    deliver.run(notification.pk)
            else:
                assert deliver.run(notification.pk) == "retry"  # given up: the admin can deliver it again
        finally:
            deliver.pop_request()
        assert asked == expected
    notification.refresh_from_db()
    assert (
        notification.attempts == 3
        and notification.delivered_at is None
        and "portal down" in notification.last_error
    )
    monkeypatch.undo()
    assert send(notification.pk) == "delivered"
    order.refresh_from_db()
    assert order.state == "paid"
