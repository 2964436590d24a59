"""Two transfers of one pupil at the same moment through the API: one 201, one 409 with the rule — the
pupil's record row lock orders them, and the partial unique constraint stands behind it. Threads need a
server database (skipped on SQLite like tests/cases/test_perform.py)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from studentstatus.models import Transfer, TransferState
from tests.i18n import zh
from tests.threads import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database"),
]


def test_two_concurrent_transfers_of_one_student_201_and_409(family, staff):
    barrier = threading.Barrier(2)
    lock = threading.Lock()
    responses = []

    def apply():
        client = APIClient()
        client.force_authenticate(family.guardian)
        barrier.wait()
        response = client.post(
            "/api/v1/studentstatus/transfers/",
            {"student_id_number": family.child_id, "to_school_code": "P2", "reason": "搬家"},
            format="json",
        )
        with lock:
            responses.append(response)

    assert run_in_threads(apply, 2) == []
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409], [r.content for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert zh("The student already has a transfer running.") in refused.json()["detail"]
    assert Transfer.objects.filter(record=family.record, state=TransferState.AWAITING_RECEIVING).count() == 1
