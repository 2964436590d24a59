"""Payments: how fast the notification endpoint applies and acknowledges messages, and how long an
e-receipt takes to render.

    python -m bench payments
    BENCH_PAYMENTS_N=500 python -m bench payments

Runs in a throw-away test database (``bench_payments_<name>`` on the configured server; a temporary file
on SQLite — not Django's in-memory test database, whose connection outlives it and would take the next
benchmark's writes in the same run), never the demo or production data, with Celery eager and the
archive's packaging off, so nothing is queued to a broker. N bills are written directly (payment code set,
no platform call), then N ``trade.success`` notifications — signed, through the Django request stack
(middleware, HMAC check, nonce cache, row lock, state change, case event, site message, log row) — and
then the same N again, which the portal acknowledges as duplicates. Payers have no phone or e-mail, so no
delivery task is queued. The receipt is rendered once cold (WeasyPrint import, fonts) and
``BENCH_PAYMENTS_RECEIPTS`` times warm (default 10).
"""

import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

N = 200
RECEIPTS = 10


def _world(n: int):
    import datetime as dt

    from django.utils import timezone

    from payments.models import Billing, FeeItem, FeeKind, Order
    from portal.accounts.models import User
    from portal.cases.services import case_open
    from portal.catalog.models import ServiceItem
    from portal.catalog.registry import sync_catalog
    from portal.orgs.models import District

    sync_catalog()
    district = District.objects.create(code="330411", name="秀洲区")
    fee = FeeItem.objects.create(
        code="bench-exam",
        name="考试费",
        kind=FeeKind.EXAM,
        billing=Billing.ONE_OFF,
        district=district,
        amount_fen=14050,
    )
    service = ServiceItem.objects.get(code="FEE")
    orders = []
    for i in range(n):
        payer = User.objects.create(username=f"bench-payer-{i}", real_name=f"家长{i}")
        case = case_open(
            service=service, applicant=payer, subject_name="王小𬌗", channel="online", district=district
        )
        orders.append(
            Order.objects.create(
                order_no=f"JFBENCH{i:010d}",
                fee_item=fee,
                case=case,
                payer=payer,
                subject_name="王小𬌗",
                district=district,
                title="考试费",
                amount_fen=fee.amount_fen,
                expires_at=timezone.now() + dt.timedelta(days=15),
                payment_code=f"3304BENCH{i:011d}",
                registered_at=timezone.now(),
            )
        )
    return orders


def _post_all(client, orders, *, nonce_round: int) -> list[float]:
    from django.conf import settings
    from django.utils import timezone

    from portal.core.http import sign_headers

    times = []
    for order in orders:
        body = json.dumps(
            {
                "notify_id": f"N{order.pk}",
                "event": "trade.success",
                "out_trade_no": order.order_no,
                "payment_code": order.payment_code,
                "trade_no": f"T{order.pk}",
                "amount_fen": order.amount_fen,
                "paid_at": timezone.now().isoformat(),
            }
        ).encode()
        headers = sign_headers(
            app_key=settings.PAYMENT_APP_KEY,
            secret=settings.PAYMENT_NOTIFY_SECRET,
            method="POST",
            path="/payments/notify/",
            body=body,
        )
        t0 = time.perf_counter()
        response = client.post(
            "/payments/notify/", data=body, content_type="application/json", headers=headers
        )
        times.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise RuntimeError(f"round {nonce_round}: {response.status_code} {response.content[:200]!r}")
    return times


def _summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "per_s": round(len(times) / sum(times), 1),
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2),
    }


def run() -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment

    from payments.models import NotificationOutcome, Order, OrderState, PaymentNotification

    n = int(os.environ.get("BENCH_PAYMENTS_N", N))
    receipts = int(os.environ.get("BENCH_PAYMENTS_RECEIPTS", RECEIPTS))
    from portal.cases.signals import case_closed
    from portal.celery import app as celery_app

    # Nothing may leave this process: tasks run in it, and the archive's packaging of the bills' closed
    # cases (measured by bench_archive) is switched off.
    celery_app.conf.task_always_eager = True
    archive_receivers = [r for r in case_closed.receivers if "archive" in str(r[0])]
    case_closed.disconnect(dispatch_uid="archive.queue_package")
    setup_test_environment()
    scratch = Path(tempfile.mkdtemp(prefix="bench-payments-")) if connection.vendor == "sqlite" else None
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        str(scratch / "payments.sqlite3") if scratch else f"bench_payments_{connection.settings_dict['NAME']}"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    settings.PAYMENT_NOTIFY_SECRET = settings.PAYMENT_NOTIFY_SECRET or "bench-notify-secret"
    try:
        orders = _world(n)
        client = Client()
        applied = _post_all(client, orders, nonce_round=1)
        duplicates = _post_all(client, orders, nonce_round=2)
        outcomes = dict.fromkeys(NotificationOutcome.values, 0)
        for outcome in PaymentNotification.objects.values_list("outcome", flat=True):
            outcomes[outcome] += 1
        assert outcomes[NotificationOutcome.APPLIED] == n and outcomes[NotificationOutcome.DUPLICATE] == n
        assert Order.objects.filter(state=OrderState.PAID).count() == n

        from payments.receipts import render_receipt_pdf

        order = Order.objects.select_related("fee_item", "payer", "case", "district").get(pk=orders[0].pk)
        t0 = time.perf_counter()
        render_receipt_pdf(order)
        first = time.perf_counter() - t0
        warm = []
        for _ in range(receipts):
            t0 = time.perf_counter()
            render_receipt_pdf(order)
            warm.append(time.perf_counter() - t0)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        teardown_test_environment()
        celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        if archive_receivers:
            from archive.signals import queue_package

            case_closed.connect(queue_package, dispatch_uid="archive.queue_package")
    result = {
        "database": connection.vendor,
        "notifications": n,
        "applied": _summary(applied),
        "duplicates": _summary(duplicates),
        "receipt_first_s": round(first, 3),
        "receipt_warm_s": round(statistics.median(warm), 3),
    }
    print(json.dumps(result, indent=2))
    return result
