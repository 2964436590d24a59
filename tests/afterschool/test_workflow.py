"""After-school care through its services: seats, the waitlist and its promotion on each way a seat
frees, capacity raised, unpaid expiry, slot changes, another school's child, one application per child."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from afterschool import services
from afterschool.catalogue import AfterschoolAction
from afterschool.models import Application, State
from afterschool.selectors import waitlist_position
from payments.models import Order, OrderState
from payments.services import order_expire
from portal.cases.models import CaseEvent, CaseStatus
from portal.cases.workflow import ActionNotAllowed
from portal.notify.models import Message
from portal.orgs.models import School

pytestmark = pytest.mark.django_db


def actions(app) -> list[str]:
    return list(CaseEvent.objects.filter(case=app.case).order_by("seq").values_list("action", flat=True))


@pytest.fixture
def fill_late(family, apply):
    """The 17:30 slot (one seat) taken by a first family."""
    return apply(family(), slot="17:30")


def test_apply_holds_a_seat_and_opens_an_asc_case(family, apply):
    fam = family()
    app = apply(fam)
    assert app.state == State.AWAITING_REVIEW and app.slot.leave_at == "16:30"
    assert app.case.reference_no.startswith("JY-ASC-") and app.case.school.code == "P1"
    assert app.student_name == "王小𬌗" and app.grade == 3
    assert actions(app)[-1] == AfterschoolAction.SEAT_TAKEN


def test_full_slot_puts_the_next_on_the_waitlist_in_order(family, apply, fill_late):
    second, third = apply(family(), slot="17:30"), apply(family(), slot="17:30")
    assert (second.state, third.state) == (State.WAITLISTED, State.WAITLISTED)
    assert (waitlist_position(second), waitlist_position(third)) == (1, 2)
    assert "2" in third.case.next_step
    assert Message.objects.filter(recipient=third.guardian, subject__contains="候补").exists()


def test_another_schools_child_is_refused_with_409_in_chinese(family, apply):
    fam = family(school_code="P2")
    with pytest.raises(ActionNotAllowed) as exc:
        apply(fam)
    assert "另一所学校" in exc.value.messages[0]  # the rule that refused, in Chinese
    assert not Application.objects.exists()


def test_a_child_not_at_school_or_in_another_grade_is_refused(family, apply, world):
    with pytest.raises(ActionNotAllowed):
        apply(family(school_code=""))
    world.program.grades = "1-2"
    world.program.save()
    with pytest.raises(ActionNotAllowed):
        apply(family(grade=3))


def test_not_the_guardian_is_403(family, apply, world, act):
    fam = family()
    stranger = family().guardian
    with pytest.raises(PermissionDenied):
        act(
            services.application_submit,
            guardian=stranger,
            program=world.program,
            student_id_number=fam.child,
            slot="16:30",
        )


def test_bad_input_is_a_field_error(family, world, act):
    fam = family()
    with pytest.raises(ValidationError) as exc:
        services.application_submit(
            guardian=fam.guardian, program=world.program, student_id_number="123", slot="19:00"
        )
    assert set(exc.value.message_dict) == {"student_id_number", "slot"}


def test_one_application_per_child_and_programme(family, apply):
    fam = family()
    first = apply(fam)
    with pytest.raises(ActionNotAllowed) as exc:
        apply(fam, slot="17:30")
    assert first.case.reference_no in exc.value.messages[0]


def test_outside_the_window_is_refused(family, apply, world):
    world.program.applications_close = timezone.localdate() - dt.timedelta(days=1)
    world.program.save()
    with pytest.raises(ActionNotAllowed):
        apply(family())


def test_approve_bills_the_fee_on_the_case_and_paying_enrolls(family, apply, act, clerk, pay):
    app = apply(family())
    app = act(services.application_approve, application=app, by=clerk)
    assert app.state == State.AWAITING_PAYMENT
    order = app.order
    assert order.case_id == app.case_id and order.amount_fen == 90000 and order.payment_code
    assert app.case.status == CaseStatus.IN_PROGRESS
    pay(app)
    assert app.state == State.ENROLLED and app.enrolled_at is not None
    app.case.refresh_from_db()
    assert app.case.status == CaseStatus.DONE
    assert AfterschoolAction.ENROLLED in actions(app)
    assert Message.objects.filter(recipient=app.guardian, subject__contains="入托").exists()
    # the signal arriving again (the sweep, a second worker) changes nothing
    assert services.application_confirm_paid(order_id=order.pk) == "skipped"


def test_reject_needs_a_reason_and_promotes_the_first_waiting(family, apply, act, clerk, fill_late):
    waiting = apply(family(), slot="17:30")
    with pytest.raises(ValidationError):
        services.application_reject(application=fill_late, by=clerk, note="")
    act(services.application_reject, application=fill_late, by=clerk, note="非本校托管对象")
    fill_late.refresh_from_db()
    waiting.refresh_from_db()
    assert fill_late.state == State.REJECTED and fill_late.decided_note == "非本校托管对象"
    assert waiting.state == State.AWAITING_PAYMENT and waiting.order is not None
    assert AfterschoolAction.PROMOTED in actions(waiting)
    assert Message.objects.filter(recipient=waiting.guardian, subject__contains="空位").exists()


def test_withdrawal_promotes_in_submission_order(family, apply, act, fill_late):
    first, second = apply(family(), slot="17:30"), apply(family(), slot="17:30")
    act(services.application_withdraw, application=fill_late, by=fill_late.guardian)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == State.AWAITING_PAYMENT and second.state == State.WAITLISTED
    assert waitlist_position(second) == 1


def test_unpaid_bill_expiry_releases_the_seat_to_the_next(family, apply, act, clerk, fill_late):
    waiting = apply(family(), slot="17:30")
    app = act(services.application_approve, application=fill_late, by=clerk)
    Order.objects.filter(pk=app.order_id).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    act(order_expire, order=Order.objects.get(pk=app.order_id))
    app.refresh_from_db()
    waiting.refresh_from_db()
    assert app.order.state == OrderState.EXPIRED
    assert app.state == State.WITHDRAWN and AfterschoolAction.LAPSED in actions(app)
    assert waiting.state == State.AWAITING_PAYMENT


def test_capacity_raised_promotes_as_many_as_fit(family, apply, act, clerk, world, fill_late):
    waiting = [apply(family(), slot="17:30") for _ in range(3)]
    act(services.slot_set_capacity, slot=world.late, capacity=3, by=clerk)
    states = [Application.objects.get(pk=a.pk).state for a in waiting]
    assert states == [State.AWAITING_PAYMENT, State.AWAITING_PAYMENT, State.WAITLISTED]
    with pytest.raises(ValidationError):
        services.slot_set_capacity(slot=world.late, capacity=1, by=clerk)  # 3 seats are held


def test_change_slot_with_a_seat_moves_at_once_and_frees_the_old(family, apply, act):
    app = apply(family())
    app = act(services.application_change_slot, application=app, by=app.guardian, slot="17:30")
    assert app.slot.leave_at == "17:30" and app.requested_slot is None
    assert AfterschoolAction.SLOT_CHANGED in actions(app)


def test_change_slot_into_a_full_slot_keeps_the_seat_and_queues(family, apply, act, fill_late):
    app = apply(family())
    app = act(services.application_change_slot, application=app, by=app.guardian, slot="17:30")
    assert app.slot.leave_at == "16:30" and app.requested_slot.leave_at == "17:30"
    assert app.state == State.AWAITING_REVIEW and waitlist_position(app) == 1
    # the 17:30 seat frees: the one waiting to change moves there, and its 16:30 seat is free again
    queued_for_early = [apply(family()), apply(family())]  # 16:30 has 2 seats: one held by app, one free
    assert [a.state for a in queued_for_early] == [State.AWAITING_REVIEW, State.WAITLISTED]
    act(services.application_withdraw, application=fill_late, by=fill_late.guardian)
    app.refresh_from_db()
    assert app.slot.leave_at == "17:30" and app.requested_slot is None
    assert AfterschoolAction.SLOT_MOVED in actions(app)
    queued_for_early[1].refresh_from_db()
    assert queued_for_early[1].state == State.AWAITING_PAYMENT  # promoted into the seat app left


def test_withdrawing_with_an_unpaid_bill_cancels_it(family, apply, act, clerk):
    app = act(services.application_approve, application=apply(family()), by=clerk)
    act(services.application_withdraw, application=app, by=app.guardian)
    app.refresh_from_db()
    assert app.state == State.WITHDRAWN and app.order.state == OrderState.CLOSED


def test_term_end_closes_programmes_and_changes_are_refused(family, apply, act, world):
    app = apply(family())
    assert services.programs_close_ended(today=world.program.term_ends + dt.timedelta(days=1)) == 1
    with pytest.raises(ActionNotAllowed):
        services.application_change_slot(application=app, by=app.guardian, slot="17:30")
    assert services.programs_close_ended(today=world.program.term_ends + dt.timedelta(days=2)) == 0


def test_the_student_record_is_read_from_the_studentstatus_platform(family, apply):
    """The platform's record decides, not the exchange's 学籍 registry: a pupil whose record the platform
    shows at another school (moved there), or suspended, is refused with the rule in Chinese."""
    from studentstatus.models import RecordStatus, StudentRecord
    from studentstatus.selectors import record_for

    moved = family()
    StudentRecord.objects.filter(pk=record_for(moved.child).pk).update(school=School.objects.get(code="P2"))
    with pytest.raises(ActionNotAllowed) as exc:
        apply(moved)
    assert "另一所学校" in exc.value.messages[0]
    suspended = family()
    StudentRecord.objects.filter(pk=record_for(suspended.child).pk).update(status=RecordStatus.SUSPENDED)
    with pytest.raises(ActionNotAllowed) as exc:
        apply(suspended)
    assert exc.value.code == "not_a_pupil"
    assert not Application.objects.exists()


@pytest.mark.parametrize("how", ["rejection", "withdrawal", "unpaid_expiry"])
def test_a_freed_seat_goes_at_once_to_the_first_waiting(how, family, apply, act, clerk, fill_late):
    """The three ways a held seat frees, as one table: the first on the waitlist is promoted (message and
    bill), the second keeps waiting and moves up to number 1."""
    first, second = apply(family(), slot="17:30"), apply(family(), slot="17:30")
    if how == "rejection":
        act(services.application_reject, application=fill_late, by=clerk, note="不符合条件")
    elif how == "withdrawal":
        act(services.application_withdraw, application=fill_late, by=fill_late.guardian)
    else:
        app = act(services.application_approve, application=fill_late, by=clerk)
        Order.objects.filter(pk=app.order_id).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
        act(order_expire, order=Order.objects.get(pk=app.order_id))
    fill_late.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert fill_late.state in (State.REJECTED, State.WITHDRAWN)
    assert first.state == State.AWAITING_PAYMENT and first.order.payment_code
    assert AfterschoolAction.PROMOTED in actions(first)
    assert Message.objects.filter(recipient=first.guardian, subject__contains="空位").exists()
    assert second.state == State.WAITLISTED and waitlist_position(second) == 1
