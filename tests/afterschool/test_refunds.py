"""Withdrawal refunds the unused part of the term pro rata by the school days left (the kernel's working
days, holidays excluded), through payments' refund and the sandbox platform.

The spring term 2026-03-02 (Mon) … 2026-07-03 (Fri) is 18 weeks = 90 weekdays, less the weekday holidays
04-06 (清明), 05-01, 05-04, 05-05 (劳动节) and 06-19 (端午), plus the make-up Saturday 05-09: 86 school
days, counted by hand."""

import datetime as dt

import pytest

from afterschool import services
from afterschool.models import State
from afterschool.selectors import refund_quote, school_days_left, term_school_days
from payments.models import OrderState, RefundState

pytestmark = pytest.mark.django_db

FEE = 90000


@pytest.fixture
def enrolled(family, apply, act, clerk, pay):
    app = act(services.application_approve, application=apply(family()), by=clerk)
    pay(app)
    assert app.state == State.ENROLLED
    return app


def test_the_term_has_86_school_days(world):
    assert term_school_days(world.program) == 86


@pytest.mark.parametrize(
    ("day", "days_left", "refund"),
    [
        (dt.date(2026, 2, 20), 86, FEE),  # before the term: everything
        (dt.date(2026, 3, 2), 86, FEE),  # the first day: the day of withdrawal is not charged
        (dt.date(2026, 4, 30), 44, FEE * 44 // 86),  # the last school day before 劳动节
        (dt.date(2026, 5, 1), 43, FEE * 43 // 86),  # across the holiday: 05-01…05-05 cost nothing,
        (dt.date(2026, 5, 6), 43, FEE * 43 // 86),  # so the first school day after refunds the same
        (dt.date(2026, 5, 11), 39, FEE * 39 // 86),  # mid-term: 8 weeks less 端午
        (dt.date(2026, 7, 3), 1, FEE * 1 // 86),  # the last day
        (dt.date(2026, 7, 6), 0, 0),  # after the term: nothing
    ],
)
def test_refund_quote(enrolled, day, days_left, refund):
    assert school_days_left(enrolled.program, day) == days_left
    assert refund_quote(enrolled, on=day) == refund


def test_a_holiday_costs_nothing(enrolled):
    """Withdrawing on Thursday 04-30 or on the holiday 05-01: one school day apart (04-30 itself);
    05-01 … 05-05 are holidays, so withdrawing on any of them is the same as on Wednesday 05-06."""
    program = enrolled.program
    assert (
        school_days_left(program, dt.date(2026, 4, 30)) - school_days_left(program, dt.date(2026, 5, 6)) == 1
    )
    assert {school_days_left(program, dt.date(2026, 5, d)) for d in range(1, 7)} == {
        school_days_left(program, dt.date(2026, 5, 6))
    }


def test_withdrawing_mid_term_refunds_the_quote_through_the_platform(enrolled, act, set_today):
    set_today(dt.date(2026, 5, 11))
    quote = refund_quote(enrolled, on=dt.date(2026, 5, 11))
    app = act(services.application_withdraw, application=enrolled, by=enrolled.guardian)
    assert app.state == State.WITHDRAWN and app.refund_fen == quote == 40813
    order = app.order
    order.refresh_from_db()
    refund = order.refunds.get()
    assert refund.amount_fen == quote and refund.state == RefundState.SUCCEEDED
    assert order.state == OrderState.PARTLY_REFUNDED and order.refunded_fen == quote


def test_withdrawing_before_the_term_refunds_everything(enrolled, act, set_today):
    set_today(dt.date(2026, 2, 27))
    app = act(services.application_withdraw, application=enrolled, by=enrolled.guardian)
    app.order.refresh_from_db()
    assert app.refund_fen == FEE and app.order.state == OrderState.REFUNDED


def test_withdrawing_after_the_term_refunds_nothing(enrolled, act, set_today):
    set_today(dt.date(2026, 7, 10))
    app = act(services.application_withdraw, application=enrolled, by=enrolled.guardian)
    assert app.refund_fen == 0 and not app.order.refunds.exists()
