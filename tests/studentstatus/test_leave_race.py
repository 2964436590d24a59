"""A transfer and a suspension of the same pupil applied for at the same moment: both applications lock the
record row (``workflow.lock``) before they check the rules, so exactly one is opened and the other is
refused with its rule (409). Threads need a server database (skipped on SQLite, like
tests/cases/test_perform.py and tests/afterschool/test_concurrency.py)."""

import threading

import pytest
from django.db import connection

from portal.cases.workflow import ActionNotAllowed
from studentstatus.models import Suspension, Transfer
from studentstatus.services import suspensions, transfers
from tests.studentstatus.conftest import Family
from tests.threads import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database"),
]


@pytest.mark.parametrize("round_", range(3))
def test_a_transfer_racing_a_suspension_leaves_exactly_one(world, tmp_path, round_):
    family = Family(tmp_path)
    barrier = threading.Barrier(2)
    calls = [
        lambda: transfers.transfer_apply(
            guardian=family.guardian, student_id_number=family.child_id, to_school_code="P2", reason="搬家"
        ),
        lambda: suspensions.suspension_apply(
            guardian=family.guardian, student_id_number=family.child_id, months=6, reason="住院"
        ),
    ]
    lock = threading.Lock()

    def act():
        with lock:
            call = calls.pop()
        barrier.wait()
        call()

    errors = run_in_threads(act, 2)
    assert len(errors) == 1 and isinstance(errors[0], ActionNotAllowed), errors
    opened = (
        Transfer.objects.filter(record=family.record).count()
        + Suspension.objects.filter(record=family.record).count()
    )
    assert opened == 1
