"""Races on PostgreSQL (threads, each on its own connection): two bureau approvals against a budget that
fits one, two batches built at once — one wins, the other is refused, nothing is granted or paid twice."""

import threading

import pytest
from django.db import connection

from aid.disbursement import batch_create
from aid.models import AidApplication, AidState, BatchLine
from aid.services import application_approve, application_set_account
from portal.cases.workflow import ActionNotAllowed
from tests.threads import run_in_threads

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database"),
    pytest.mark.django_db(transaction=True),
]


def test_two_approvals_never_pass_the_budget_together(at_bureau, staff, scheme):
    apps = at_bureau(n=2)
    scheme.budget_fen = 300000  # one 一档 (2,500 元) fits, two do not
    scheme.save()
    barrier = threading.Barrier(2)
    outcomes = []
    todo = [a.pk for a in apps]

    def act():
        application = AidApplication.objects.get(pk=todo.pop())
        barrier.wait()
        try:
            application_approve(application=application, by=staff["bureau"])
            outcomes.append("approved")
        except ActionNotAllowed:
            outcomes.append("409")

    assert run_in_threads(act, 2) == []
    assert sorted(outcomes) == ["409", "approved"]
    assert AidApplication.objects.filter(state=AidState.APPROVED).count() == 1


def test_two_batches_at_once_take_each_case_once(at_bureau, staff, scheme):
    for a in at_bureau(n=2):
        application_approve(application=a, by=staff["bureau"])
        a.refresh_from_db()
        application_set_account(
            application=a, by=a.family.guardian, account_name="李𠈌", bank_account="62170000100012"
        )
    barrier = threading.Barrier(2)
    outcomes = []

    def act():
        barrier.wait()
        try:
            batch_create(scheme=scheme, term="autumn", by=staff["bureau"])
            outcomes.append("batch")
        except ActionNotAllowed:
            outcomes.append("409")

    assert run_in_threads(act, 2) == []
    assert sorted(outcomes) == ["409", "batch"]
    assert BatchLine.objects.count() == 2
