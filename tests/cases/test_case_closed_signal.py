"""``case_closed``: sent once when a case reaches a final status, inside the transition's transaction, so
that apps the kernel must not import (the archive) can queue their work on commit."""

import pytest
from django.db import transaction

from portal.cases.models import Case, CaseEvent, CaseStatus
from portal.cases.services import case_transition
from portal.cases.signals import case_closed
from portal.cases.workflow import ActionNotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    calls = []

    def receiver(sender, case, status, **kwargs):
        # inside the transaction, after the trace entry: the status change is already recorded
        last = CaseEvent.objects.filter(case=case).order_by("-seq").first()
        calls.append((sender, case.pk, status, last.to_state, transaction.get_connection().in_atomic_block))

    case_closed.connect(receiver, dispatch_uid="test-case-closed")
    yield calls
    case_closed.disconnect(dispatch_uid="test-case-closed")


@pytest.mark.parametrize(
    ("transition", "status"),
    [("complete", CaseStatus.DONE), ("reject", CaseStatus.REJECTED), ("withdraw", CaseStatus.WITHDRAWN)],
)
def test_a_final_status_sends_case_closed_once(open_case, clerk, received, transition, status):
    case = open_case()
    case_transition(case=case, transition="start_processing", by=clerk)
    assert received == []  # in progress is not final

    case_transition(case=case, transition=transition, by=clerk)
    assert received == [(Case, case.pk, status, status, True)]

    with pytest.raises(ActionNotAllowed):
        case_transition(case=case, transition="complete", by=clerk)
    assert len(received) == 1
