"""Working days: Chinese public holidays and make-up working days (调休), bureau overrides, and the
Monday-Friday fallback for years the calendar package does not know.

Every expected date below was worked out by hand from these facts (weekdays checked on a calendar):
- 2026 Spring Festival: rest Sun 02-15 .. Mon 02-23; make-up working days Sat 02-14 and Sat 02-28.
- 2026 National Day: rest Thu 10-01 .. Wed 10-07; make-up working days Sun 09-20 and Sat 10-10.
- 2025 Spring Festival: rest Tue 01-28 .. Tue 02-04; make-up working days Sun 01-26 and Sat 02-08.
- 2025 National Day: rest Wed 10-01 .. Wed 10-08; make-up working days Sun 09-28 and Sat 10-11.
"""

import logging
from datetime import date

import pytest

from portal.cases import workdays
from portal.cases.models import CalendarDay
from portal.cases.workdays import add_working_days, is_workday, working_days_between

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 13), True),  # Friday before the holiday
        (date(2026, 2, 14), True),  # Saturday, make-up working day
        (date(2026, 2, 16), False),  # Monday in the Spring Festival holiday
        (date(2026, 2, 23), False),  # Monday, last holiday day
        (date(2026, 2, 24), True),  # Tuesday, back to work
        (date(2026, 2, 28), True),  # Saturday, make-up working day
        (date(2026, 3, 1), False),  # an ordinary Sunday
        (date(2026, 9, 20), True),  # Sunday, make-up for National Day
        (date(2026, 10, 5), False),  # Monday in the National Day holiday
        (date(2026, 10, 10), True),  # Saturday, make-up working day
        (date(2025, 1, 26), True),  # Sunday, make-up working day
        (date(2025, 2, 4), False),  # Tuesday, last Spring Festival holiday day
        (date(2025, 2, 8), True),  # Saturday, make-up working day
        (date(2025, 9, 28), True),  # Sunday, make-up working day
        (date(2025, 10, 8), False),  # Wednesday, last National Day holiday day
        (date(2025, 10, 11), True),  # Saturday, make-up working day
    ],
)
def test_is_workday(day, expected):
    assert is_workday(day) is expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 2026 Spring Festival
        (date(2026, 2, 12), 1, date(2026, 2, 13)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Saturday make-up day counts
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # 02-15..23 skipped
        (date(2026, 2, 13), 5, date(2026, 2, 27)),
        (date(2026, 2, 13), 6, date(2026, 2, 28)),  # Saturday make-up day
        (date(2026, 2, 13), 7, date(2026, 3, 2)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        (date(2026, 2, 10), 15, date(2026, 3, 9)),
        # 2026 National Day
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Sunday make-up day
        (date(2026, 9, 18), 2, date(2026, 9, 21)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # Saturday make-up day
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 9, 29), 5, date(2026, 10, 12)),
        # 2025 Spring Festival
        (date(2025, 1, 24), 1, date(2025, 1, 26)),  # Sunday make-up day
        (date(2025, 1, 24), 2, date(2025, 1, 27)),
        (date(2025, 1, 24), 3, date(2025, 2, 5)),  # 01-28..02-04 skipped
        (date(2025, 1, 27), 5, date(2025, 2, 10)),  # Saturday 02-08 counts, Sunday 02-09 does not
        # 2025 National Day
        (date(2025, 9, 26), 1, date(2025, 9, 28)),
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 9, 30), 3, date(2025, 10, 11)),
        (date(2025, 9, 30), 4, date(2025, 10, 13)),
        # n = 0 is the start itself, even on a holiday
        (date(2026, 2, 16), 0, date(2026, 2, 16)),
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 2, 14), date(2026, 2, 24), 1),  # only the make-up Saturday
        (date(2026, 2, 9), date(2026, 3, 2), 11),  # 5 + Sat 14 + 24..27 + Sat 28
        (date(2026, 9, 28), date(2026, 10, 12), 6),  # 28, 29, 30, then 8, 9, Sat 10
        (date(2025, 1, 20), date(2025, 2, 10), 11),  # 20..24, Sun 26, 27, 02-05..07, Sat 08
        (date(2025, 9, 26), date(2025, 10, 13), 7),  # 26, Sun 28, 29, 30, 10-09, 10, Sat 11
        (date(2026, 2, 16), date(2026, 2, 16), 0),  # empty range
        (date(2026, 2, 11), date(2026, 2, 10), 0),  # end before start
        (date(2026, 3, 2), date(2026, 3, 3), 1),  # [Monday, Tuesday)
    ],
)
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def test_calendar_day_override_wins_over_the_package():
    # The bureau declares Friday 02-27 a rest day and the holiday Monday 02-16 a working day.
    CalendarDay.objects.create(date=date(2026, 2, 27), is_workday=False, note="本地安排")
    CalendarDay.objects.create(date=date(2026, 2, 16), is_workday=True, note="本地安排")
    assert is_workday(date(2026, 2, 27)) is False
    assert is_workday(date(2026, 2, 16)) is True
    # 02-14 (1), 02-16 (2, override), 02-24 (3), 02-25 (4), 02-26 (5)
    assert add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 26)
    # 02-14, 02-16, 02-24, 02-25, 02-26, (27 rest), 02-28 → 6 in [02-13, 03-01) plus 02-13 itself
    assert working_days_between(date(2026, 2, 13), date(2026, 3, 1)) == 7


def test_a_year_the_package_does_not_know_falls_back_to_weekdays_and_warns_once(monkeypatch, caplog):
    monkeypatch.setattr(workdays, "_warned_years", set())
    with caplog.at_level(logging.WARNING, logger="portal.cases.workdays"):
        assert is_workday(date(2027, 1, 1)) is True  # a Friday; no holiday data for 2027
        assert is_workday(date(2027, 1, 2)) is False  # Saturday
        assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
        assert add_working_days(date(2027, 1, 8), 5) == date(2027, 1, 15)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_calendar_days_for_a_new_year_are_used():
    # What bureau staff do in the admin once the State Council publishes 2027's holidays.
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert is_workday(date(2027, 1, 1)) is False
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)  # Mon; Fri 01-01 is a holiday


def test_overrides_are_read_in_one_query_per_call(django_assert_num_queries):
    CalendarDay.objects.create(date=date(2026, 4, 20), is_workday=False)
    with django_assert_num_queries(1):  # 60 working days span the whole Spring Festival: still one query
        add_working_days(date(2026, 1, 5), 60)
    with django_assert_num_queries(1):
        working_days_between(date(2026, 1, 1), date(2026, 12, 31))


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 2, 13), -1)
