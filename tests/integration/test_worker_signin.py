"""End to end on the real stack: an OTP request queues a task on Redis after commit, a separate worker
process sends the SMS over HTTP to the SMS stand-in, and the code signs the parent in."""

import datetime as dt

import httpx
import pytest

from sandbox.models import Person, SmsMessage
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


def test_otp_sms_goes_through_a_real_worker(celery_worker_process, live_server):
    Person.objects.create(
        id_number="360426199101010071",
        name="李𠈌",
        gender="M",
        birth_date=dt.date(1991, 1, 1),
        phone="13800002222",
    )
    with httpx.Client(base_url=live_server.url, timeout=10) as web:
        assert web.post("/api/v1/auth/otp/", json={"phone": "13800002222"}).status_code == 202
        wait_for(lambda: SmsMessage.objects.filter(phone="13800002222").exists())
        code = web.get("/sandbox/sms/", params={"phone": "13800002222"}).json()["messages"][0]["code"]
        response = web.post("/api/v1/auth/otp/verify/", json={"phone": "13800002222", "code": code})
    assert response.status_code == 200, response.text
    assert response.json()["token"]
