"""Deliveries test world: a case of a family, the courier stand-in reached over HTTP in-process, and
helpers acting as the courier's tester (the sandbox page's buttons) and as a courier that signs its own
callbacks (or forges them)."""

import json

import pytest
from django.conf import settings
from django.utils import timezone

from portal.core.http import sign_headers
from portal.deliveries.services import delivery_create
from tests.factories import CaseFactory, UserFactory

CALLBACK_PATH = "/api/v1/deliveries/callback/"


@pytest.fixture
def applicant(db):
    return UserFactory(real_name="李𠀀明", phone="13900001111", email="")


@pytest.fixture
def case(applicant):
    return CaseFactory(applicant=applicant, subject_name="李𠀀明")


@pytest.fixture
def send(case, applicant, django_capture_on_commit_callbacks):
    """Create a delivery and let its registration with the courier run (after commit, in the task)."""

    def _send(**kwargs):
        fields = {
            "item": "教师资格证书",
            "recipient_name": "李𠀀明",
            "phone": "139 0000 1111",
            "address": "浙江省嘉兴市秀洲区新城街道洪兴路 100 号",
            "by": None,
            **kwargs,
        }
        with django_capture_on_commit_callbacks(execute=True):
            delivery = delivery_create(case=case, **fields)
        delivery.refresh_from_db()
        return delivery

    return _send


class Courier:
    """The tester at the sandbox courier's page, and a courier signing its own callbacks."""

    def __init__(self, client, capture):
        self.client, self.capture = client, capture

    def advance(self, delivery, to: str | None = None, reason: str = ""):
        data = {"to": to or "", "reason": reason}
        with self.capture(execute=True):
            response = self.client.post(f"/sandbox/courier/shipments/{delivery.tracking_no}/advance/", data)
        delivery.refresh_from_db()
        return response

    @staticmethod
    def report(delivery, status: str, **overrides) -> dict:
        message = {
            "notify_id": f"K-test-{delivery.pk}-{status}",
            "order_no": delivery.order_no,
            "tracking_no": delivery.tracking_no,
            "status": status,
            "at": timezone.now().isoformat(),
        }
        message.update(overrides)
        return message

    def callback(self, message: dict | bytes, *, secret: str | None = None, headers: dict | None = None):
        body = message if isinstance(message, bytes) else json.dumps(message, ensure_ascii=False).encode()
        signed = (
            headers
            if headers is not None
            else sign_headers(
                app_key=settings.COURIER_APP_KEY,
                secret=settings.COURIER_NOTIFY_SECRET if secret is None else secret,
                method="POST",
                path=CALLBACK_PATH,
                body=body,
            )
        )
        with self.capture(execute=True):
            response = self.client.post(
                CALLBACK_PATH, data=body, content_type="application/json", headers=signed
            )
        response.signed_headers = signed
        return response


@pytest.fixture
def courier(client, django_capture_on_commit_callbacks):
    return Courier(client, django_capture_on_commit_callbacks)
