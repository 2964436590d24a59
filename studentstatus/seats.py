"""Seats in a grade of a school, as the service that keeps seat counts says.

Student status is a platform and imports no service. Admission keeps the seat ledgers (学位) per school
and entry year; it registers a counter here from its ``AppConfig.ready``::

    register_seat_counter(free=cohort_free, move=cohort_move)  # admission/seats.py

``free`` answers the free seats of a school's cohort (None: the school's seats are not counted — no limit
known); ``move`` takes a seat at the receiving school and gives one back at the sending school, in the
caller's transaction, when a transfer completes.
"""

from collections.abc import Callable
from dataclasses import dataclass

from portal.cases import services as cases

FIRST_GRADE = {"primary": 1, "junior": 7}


@dataclass(frozen=True)
class SeatCounter:
    free: Callable
    move: Callable


_counter: SeatCounter | None = None


def register_seat_counter(*, free: Callable, move: Callable) -> None:
    global _counter
    _counter = SeatCounter(free=free, move=move)


def school_year(today=None) -> int:
    """The school year a date falls in, by the year it began (a school year starts on 1 September)."""
    today = today or cases.local_today()
    return today.year if today.month >= 9 else today.year - 1


def cohort_entry_year(*, stage: str, grade: int, today=None) -> int:
    """The entry year of the pupils in ``grade`` now (grade 1 this school year entered this year)."""
    return school_year(today) - (grade - FIRST_GRADE.get(stage, 1))


def free_seats(*, school, stage: str, grade: int) -> int | None:
    if _counter is None:
        return None
    return _counter.free(school, cohort_entry_year(stage=stage, grade=grade))


def has_free_seat(*, school, stage: str, grade: int) -> bool:
    free = free_seats(school=school, stage=stage, grade=grade)
    return free is None or free > 0


def move_seat(*, from_school, to_school, stage: str, grade: int) -> None:
    if _counter is not None:
        _counter.move(
            from_school=from_school,
            to_school=to_school,
            entry_year=cohort_entry_year(stage=stage, grade=grade),
        )
