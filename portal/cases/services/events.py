"""The case trace: one typed event at a time, numbered under the case's row lock."""

from django.db import connection, transaction

from portal.cases.actions import validate_action
from portal.cases.models import (
    Case,
    CaseEvent,
)
from portal.cases.services.common import _actor_label

# --- events -------------------------------------------------------------------------------------------


# The next seq of a case's trace, taking the case's row lock, in one statement. It never falls behind the
# trace, should an event ever be written another way.
_TAKE_EVENT_SEQ = (
    "UPDATE cases_case SET last_event_seq = {greatest}(last_event_seq, COALESCE("
    "(SELECT MAX(seq) FROM cases_caseevent WHERE case_id = %s), 0)) + 1 "
    "WHERE id = %s RETURNING last_event_seq"
)


def case_log_event(
    *,
    case: Case,
    action,
    by=None,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict | None = None,
) -> CaseEvent:
    """Append one entry to the case's trace. ``action`` must be a registered action (see actions.py);
    ``seq`` is the next number for the case, taken with the case's row lock (one ``UPDATE … RETURNING``
    of ``Case.last_event_seq``, see ``_TAKE_EVENT_SEQ``)."""
    action_value = validate_action(action)
    # two-argument MAX is SQLite's GREATEST
    take = _TAKE_EVENT_SEQ.format(greatest="GREATEST" if connection.vendor == "postgresql" else "MAX")
    # no savepoint: a failure here fails the caller's whole action, which is what it should do
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(take, [case.pk, case.pk])
            row = cursor.fetchone()
        if row is None:
            raise Case.DoesNotExist(f"no case {case.pk}")
        case.last_event_seq = row[0]
        return CaseEvent.objects.create(
            case_id=case.pk,
            seq=row[0],
            actor=by,
            actor_label=_actor_label(by),
            action=action_value,
            from_state=str(from_state or ""),
            to_state=str(to_state or ""),
            note=note or "",
            data=data or {},
        )
