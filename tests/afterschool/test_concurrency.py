"""Seats under the programme's row lock on PostgreSQL: many guardians at once for a few seats → exactly
the seats are held, the others waitlisted in the order they got the lock, none overbooked. Threads need a
server database (skipped on SQLite like tests/cases/test_perform.py)."""

import threading

import pytest
from django.db import connection

from afterschool import services
from afterschool.models import SEAT_STATES, Application, Program, State
from afterschool.selectors import waitlist_position
from tests.threads import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database"),
]


def _race(families, program, slot, count):
    barrier = threading.Barrier(count)
    pending = list(families)
    lock = threading.Lock()

    def act():
        with lock:
            fam = pending.pop()
        barrier.wait()
        services.application_submit(
            guardian=fam.guardian, program=program, student_id_number=fam.child, slot=slot
        )

    return run_in_threads(act, count)


def test_two_guardians_for_the_last_seat(world, family, settings):
    settings.EXCHANGE_RETRY_BACKOFF = 0.0
    program = Program.objects.get(pk=world.program.pk)
    families = [family(), family()]
    assert _race(families, program, "17:30", 2) == []
    states = sorted(Application.objects.values_list("state", flat=True))
    assert states == [State.AWAITING_REVIEW, State.WAITLISTED]


def test_forty_applications_for_ten_seats(world, family):
    world.late.capacity = 10
    world.late.save()
    families = [family() for _ in range(40)]
    assert _race(families, Program.objects.get(pk=world.program.pk), "17:30", 40) == []
    apps = list(Application.objects.order_by("submitted_at", "pk"))
    held = [a for a in apps if a.state in SEAT_STATES]
    waiting = sorted((a for a in apps if a.state == State.WAITLISTED), key=lambda a: (a.queued_at, a.pk))
    assert len(held) == 10 and len(waiting) == 30
    assert [waitlist_position(a) for a in waiting] == list(range(1, 31))  # FIFO, no gaps, no ties
