"""The event trace: typed actions, sequence numbers per case, append-only rows."""

import threading

import pytest
from django.db import DatabaseError, connection, models, transaction

from portal.cases.actions import CaseAction, label_for, register_actions, validate_action
from portal.cases.models import Case, CaseEvent
from portal.cases.services import case_log_event
from portal.core.models import AppendOnlyError
from tests.factories import CaseFactory
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


class PilotAction(models.TextChoices):
    """A service app's own actions, as an app would register them in its AppConfig.ready()."""

    ZONE_CHECKED = "pilot.zone_checked", "Attendance zone checked"


register_actions(PilotAction)


class UnregisteredAction(models.TextChoices):
    SOMETHING = "pilot.something", "Something"


def test_kernel_and_registered_app_actions_are_accepted_and_labelled():
    case = CaseFactory()
    first = case_log_event(case=case, action=CaseAction.NOTE_ADDED, note="a")
    second = case_log_event(case=case, action=PilotAction.ZONE_CHECKED)
    third = case_log_event(case=case, action="pilot.zone_checked")  # the stored value of a member
    assert [e.action for e in (first, second, third)] == [
        "note_added",
        "pilot.zone_checked",
        "pilot.zone_checked",
    ]
    assert label_for("pilot.zone_checked") == "Attendance zone checked"
    assert label_for(CaseAction.RATED) == str(CaseAction.RATED.label)
    assert label_for("gone.app_action") == "gone.app_action"


@pytest.mark.parametrize(
    "action",
    ["status_chnaged", "", "SUBMITTED", UnregisteredAction.SOMETHING, 3, None],
)
def test_an_action_that_is_not_registered_is_a_type_error(action):
    case = CaseFactory()
    with pytest.raises(TypeError):
        case_log_event(case=case, action=action)
    assert not CaseEvent.objects.filter(case=case).exists()


def test_two_enums_cannot_claim_the_same_value():
    class Clash(models.TextChoices):
        FINE = "pilot.fine", "fine"
        SUBMITTED = "submitted", "Submitted again"

    with pytest.raises(ValueError, match="submitted"):
        register_actions(Clash)
    with pytest.raises(TypeError):  # nothing of the refused enum was registered
        validate_action("pilot.fine")
    register_actions(PilotAction)  # registering the same enum again is harmless


def test_events_are_numbered_per_case_with_actor_labels(bureau):
    case, other = CaseFactory(), CaseFactory()
    events = [case_log_event(case=case, action=CaseAction.NOTE_ADDED, note=str(i)) for i in range(3)]
    other_event = case_log_event(case=other, action=CaseAction.NOTE_ADDED, by=bureau)
    assert [e.seq for e in events] == [1, 2, 3]
    assert other_event.seq == 1
    assert events[0].actor is None and events[0].actor_label == "系统"
    assert other_event.actor == bureau
    assert other_event.actor_label.startswith(bureau.display_name)
    assert str(bureau.get_role_display()) in other_event.actor_label


def test_an_event_takes_its_number_and_the_case_lock_in_one_statement(django_assert_num_queries):
    case = CaseFactory()
    case_log_event(case=case, action=CaseAction.NOTE_ADDED)
    with django_assert_num_queries(2):  # UPDATE … RETURNING the seq, INSERT the event
        event = case_log_event(case=case, action=CaseAction.NOTE_ADDED)
    assert event.seq == 2 and case.last_event_seq == 2


def test_saving_a_stale_copy_of_the_case_never_turns_the_event_counter_back():
    case = CaseFactory()
    stale = Case.objects.get(pk=case.pk)
    case_log_event(case=case, action=CaseAction.NOTE_ADDED)
    case_log_event(case=case, action=CaseAction.NOTE_ADDED)
    stale.next_step = "changed meanwhile"
    stale.save()
    assert Case.objects.get(pk=case.pk).last_event_seq == 2
    assert case_log_event(case=stale, action=CaseAction.NOTE_ADDED).seq == 3


def test_the_event_counter_catches_up_with_a_trace_written_another_way():
    case = CaseFactory()
    CaseEvent.objects.create(case=case, seq=1, actor_label="系统", action="submitted", to_state="submitted")
    CaseEvent.objects.create(case=case, seq=2, actor_label="系统", action="note_added")
    assert case_log_event(case=case, action=CaseAction.NOTE_ADDED).seq == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
@pytest.mark.django_db(transaction=True)
def test_concurrent_events_on_one_case_get_consecutive_numbers():
    case = CaseFactory()
    barrier = threading.Barrier(6)

    def log_some():
        barrier.wait()
        for _ in range(5):
            case_log_event(case=Case.objects.get(pk=case.pk), action=CaseAction.NOTE_ADDED)

    assert run_in_threads(log_some, 6) == []
    seqs = CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", flat=True)
    assert list(seqs) == list(range(1, 31))


def test_events_cannot_be_changed_or_deleted_through_the_orm():
    event = case_log_event(case=CaseFactory(), action=CaseAction.NOTE_ADDED, note="original")
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        CaseEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(AppendOnlyError):
        CaseEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.note == "original"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_refuses_raw_sql_updates_and_deletes_of_events():
    event = case_log_event(case=CaseFactory(), action=CaseAction.NOTE_ADDED, note="original")
    for sql in ("UPDATE cases_caseevent SET note = 'rewritten'", "DELETE FROM cases_caseevent"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    event.refresh_from_db()
    assert event.note == "original"
