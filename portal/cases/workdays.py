"""Chinese working days (工作日): the unit of every promised deadline.

A day is a working day according to, in this order:

1. a ``CalendarDay`` row for that date (a bureau's override, edited in the admin);
2. the ``chinese_calendar`` package (public holidays and the make-up working days 调休, 2004–2026 in the
   pinned version);
3. for a year the package does not know: Monday to Friday. A warning is logged once per year and process
   so that staff add that year's holidays as ``CalendarDay`` rows before the first deadline lands there.

Each public function reads the overrides for the dates it may touch in one query (not one per day).
"""

import datetime as dt
import logging

import chinese_calendar

log = logging.getLogger(__name__)

_warned_years: set[int] = set()


def _package_is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no data for
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "No holiday data for %s: counting Monday-Friday as working days. Add the year's public "
                "holidays and make-up working days as calendar days in the admin.",
                day.year,
            )
        return day.weekday() < 5


class _Calendar:
    """Overrides loaded lazily by date window: one query for a typical call, another only if the walk
    goes past the first window (a very long deadline or a run of bureau-declared rest days)."""

    def __init__(self):
        self._overrides: dict[dt.date, bool] = {}
        self._loaded: list[tuple[dt.date, dt.date]] = []

    def load(self, first: dt.date, last: dt.date) -> None:
        from portal.cases.models import CalendarDay

        rows = CalendarDay.objects.filter(date__gte=first, date__lte=last).values_list("date", "is_workday")
        self._overrides.update(rows)
        self._loaded.append((first, last))

    def _covered(self, day: dt.date) -> bool:
        return any(first <= day <= last for first, last in self._loaded)

    def is_workday(self, day: dt.date) -> bool:
        if not self._covered(day):
            self.load(day, day + dt.timedelta(days=90))
        if day in self._overrides:
            return self._overrides[day]
        return _package_is_workday(day)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def is_workday(d: dt.date) -> bool:
    day = _as_date(d)
    calendar = _Calendar()
    calendar.load(day, day)
    return calendar.is_workday(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself does not count; ``n=0`` → ``start``).

    Accepted on Friday 2026-02-13 with 2 working days promised: Saturday 02-14 is a make-up working day
    (1), 02-15..23 is the Spring Festival holiday, Tuesday 02-24 is the second → deadline 2026-02-24.
    """
    day = _as_date(start)
    if n < 0:
        raise ValueError("n must be zero or more working days")
    if n == 0:
        return day
    calendar = _Calendar()
    # Enough for the longest holiday runs (Spring Festival ~9 days) in one query for usual deadlines.
    calendar.load(day, day + dt.timedelta(days=2 * n + 30))
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """The number of working days in [start, end): paused on Monday, resumed on Tuesday → 1."""
    first, stop = _as_date(start), _as_date(end)
    if stop <= first:
        return 0
    calendar = _Calendar()
    calendar.load(first, stop)
    count, day = 0, first
    while day < stop:
        count += calendar.is_workday(day)
        day += dt.timedelta(days=1)
    return count
