"""Payments test world: a district with a kindergarten, bureau staff, a family, a monthly care fee and an
exam fee; helpers that act as the payment platform's tester (pay, fail, cancel on the sandbox pay page)
and as the platform itself (a signed notification, or one signed with the wrong key)."""

import datetime as dt
import json
import os

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from payments.models import Order
from payments.services import order_issue
from portal.catalog.models import ServiceItem
from portal.catalog.registry import sync_catalog
from portal.celery import app as celery_app
from portal.core.http import sign_headers
from sandbox.payments.models import PlatformNotification, PlatformOrder
from tests.factories import DistrictFactory, SchoolFactory, UserFactory
from tests.payments.factories import FeeItemFactory

NOTIFY_PATH = "/payments/notify/"


@pytest.fixture(autouse=True)
def _no_archive_packages():
    """A paid, expired or closed standalone bill closes its case, and the archive packages every closed
    case after commit (a PDF/A render per case). That is the archive's business, tested in tests/archive;
    here it would only add a second per bill."""
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


@pytest.fixture
def district(db):
    if not ServiceItem.objects.filter(code="FEE").exists():  # a transactional test flushed the catalogue
        sync_catalog()
    return DistrictFactory(code="330411", name="秀洲区")


@pytest.fixture
def kindergarten(district):
    return SchoolFactory(district=district, code="K1", name="新城幼儿园", stage="kindergarten")


@pytest.fixture
def bureau(district):
    return UserFactory(bureau=True, district=district, real_name="陈科长", email="")


@pytest.fixture
def payer(db):
    return UserFactory(real_name="王𠈌")


@pytest.fixture
def care_fee(district):
    return FeeItemFactory(district=district, code="kg-care")


@pytest.fixture
def exam_fee(district):
    return FeeItemFactory(district=district, code="exam", exam=True)


@pytest.fixture
def issue(payer, exam_fee, bureau, django_capture_on_commit_callbacks):
    """Issue a bill and let its after-commit work run (the payment code is fetched from the sandbox)."""

    def _issue(*, fee_item=None, who=None, **kwargs) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            order = order_issue(
                fee_item=fee_item or exam_fee,
                payer=who or payer,
                subject_name=kwargs.pop("subject_name", "王小𬌗"),
                **kwargs,
            )
        order.refresh_from_db()
        return order

    return _issue


class Tester:
    """The person at the sandbox's pay page, and the platform's own signed messages."""

    def __init__(self, client, capture):
        self.client, self.capture = client, capture

    def page(self, order: Order, action: str):
        """POST the pay page's button; the platform's notifications are delivered on commit."""
        with self.capture(execute=True):
            return self.client.post(f"/sandbox/payments/pay/{order.payment_code}/", {"action": action})

    def pay(self, order: Order):
        response = self.page(order, "pay")
        order.refresh_from_db()
        return response

    @staticmethod
    def platform_order(order: Order) -> PlatformOrder:
        return PlatformOrder.objects.get(out_trade_no=order.order_no)

    @staticmethod
    def paid_message(order: Order, **overrides) -> dict:
        at_platform = PlatformOrder.objects.filter(out_trade_no=order.order_no).first()
        message = {
            "notify_id": f"N-test-{order.pk}",
            "event": "trade.success",
            "out_trade_no": order.order_no,
            "payment_code": order.payment_code,
            "trade_no": (
                at_platform.trade_no if at_platform and at_platform.trade_no else f"T-test-{order.pk}"
            ),
            "amount_fen": order.amount_fen,
            "paid_at": timezone.now().isoformat(),
        }
        message.update(overrides)
        return message

    def notify(self, message: dict | bytes, *, secret: str | None = None, headers: dict | None = None):
        """POST a notification signed like the platform signs (``secret`` to sign with another key)."""
        body = message if isinstance(message, bytes) else json.dumps(message, ensure_ascii=False).encode()
        signed = (
            headers
            if headers is not None
            else sign_headers(
                app_key=settings.PAYMENT_APP_KEY,
                secret=settings.PAYMENT_NOTIFY_SECRET if secret is None else secret,
                method="POST",
                path=NOTIFY_PATH,
                body=body,
            )
        )
        with self.capture(execute=True):
            response = self.client.post(
                NOTIFY_PATH, data=body, content_type="application/json", headers=signed
            )
        response.signed_headers = signed
        return response

    def redeliver(self, notification: PlatformNotification) -> str:
        """The platform sends one more copy of a notification (a fresh request: new nonce, same message)."""
        from sandbox.payments.delivery import send

        with self.capture(execute=True):
            return send(notification.pk)


@pytest.fixture
def tester(client, django_capture_on_commit_callbacks):
    return Tester(client, django_capture_on_commit_callbacks)


@pytest.fixture
def run_task(django_capture_on_commit_callbacks):
    """Run a Celery task by name (eager in unit tests) and let its after-commit work run too."""

    def _run(name: str, *args):
        with django_capture_on_commit_callbacks(execute=True):
            return celery_app.tasks[name].delay(*args).get()

    return _run


def postgresql_only() -> None:
    """Row locks are what the concurrency tests prove: they run on PostgreSQL (CI), and fail there if the
    database is anything else."""
    if connection.vendor != "postgresql":
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the concurrency tests need PostgreSQL in CI")
        pytest.skip("row locks are tested on PostgreSQL (set DATABASE_URL)")


def past(days: int = 1) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
