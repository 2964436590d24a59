"""After-school care actions: one keyword-only function per action (DESIGN.md, Workflows).

Every state change goes through :func:`portal.cases.workflow.perform`. An action that takes or frees a
seat first locks the programme's row (``workflow.lock(Program, pk)``) and only then the application's
(inside ``perform``), always in that order, so seats are counted and taken one application at a time per
programme: two guardians for the last seat — one holds it, the other is waitlisted. A freed seat (a
rejection, a withdrawal, a bill that expired unpaid, a slot change, a raised capacity) goes at once, in
the same transaction, to the first in the slot's queue (:func:`_fill`).

Registry look-ups (the guardianship) and the student record (through ``studentstatus.selectors``) are
read before the transaction and hold no lock.
Payments are reached through their public functions only: ``order_issue`` bills the term's fee on the
application's case, ``order_refund`` refunds the unused part, ``order_cancel`` closes a bill nobody will
pay; payments tells us a bill was paid or expired by its signals (afterschool.receivers).
"""

import datetime as dt
import logging
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from afterschool.catalogue import ITEM, AfterschoolAction
from afterschool.models import SEAT_STATES, Application, Program, ProgramSlot, State
from afterschool.selectors import refund_quote, seats_taken, slot_queue, waitlist_position
from exchange import sources as S
from exchange.guardianship import child_and_guardianship
from exchange.services import authorisations_grant
from payments.models import OrderState
from payments.money import format_yuan
from payments.refunds import order_refund
from payments.services import order_cancel, order_issue
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Channel
from portal.cases.workflow import ActionNotAllowed, perform
from portal.catalog.models import ServiceItem
from portal.core.idcodes import normalize_id_number
from portal.core.pii import keyed_hash
from portal.notify.services import message_send
from studentstatus.models import RecordStatus, StudentRecord
from studentstatus.selectors import record_for

log = logging.getLogger(__name__)

LOOKUP_SOURCES = (S.HUKOU, S.BIRTH)


# --- the pupil and the guardian (through the exchange) -------------------------------------------------


def _student_for(id_number: str) -> StudentRecord | None:
    """The pupil's student record (学籍: school, grade, class, status), None when there is none — read
    through the studentstatus platform's selector, the one source of student records."""
    return record_for(id_number)


def _child_and_guardianship(child_id: str, guardian_id: str, *, requester, authorisation):
    """Who the child is (their 户籍 entry, or None when the registry cannot answer), and whether the
    guardian is their parent by 户口簿 or birth record (None when the registries cannot answer now)."""
    return child_and_guardianship(
        child_id,
        guardian_id,
        purpose=_("After-school care application: check that the applicant is the pupil's guardian"),
        requester=requester,
        authorisation=authorisation,
        field="student_id_number",
    )


# --- helpers -------------------------------------------------------------------------------------------


def _tell(application: Application, *, subject: str, body: str) -> None:
    message_send(recipient=application.guardian, subject=subject[:200], body=body, case=application.case)


def _program_label(application: Application) -> str:
    program = application.program
    return f"{program.school.name}{program.name}（{program.term}）"


def _lock_program(program_id: int) -> Program:
    return workflow.lock(Program, program_id)


def _issue_bill(application: Application, *, by) -> None:
    """Bill the term's fee on the application's case (in the caller's transaction)."""
    program = application.program
    order = order_issue(
        fee_item=program.fee_item,
        payer=application.guardian,
        subject_name=application.student_name,
        subject_id_number=application.student_id_number,
        case=application.case,
        school=program.school,
        title=f"{program.name}（{program.term}）",
        by=by,
    )
    application.order = order
    application.save(update_fields=["order"])
    due = timezone.localtime(order.expires_at, cases.BUREAU_TZ).date()
    cases.case_set_next_step(
        case=application.case,
        text=_("Pay %(amount)s by %(due)s to take the place.")
        % {"amount": format_yuan(order.amount_fen), "due": due},
    )


def _fill(program: Program, slots, *, by=None) -> list[str]:
    """Give the free seats of ``slots`` to the first in each slot's queue (the programme is locked).

    A waitlisted application is promoted and billed; one waiting to change into the slot moves there,
    which frees its old seat for that slot's queue in turn. Returns the reference numbers served."""
    served: list[str] = []
    todo = [slot.pk if isinstance(slot, ProgramSlot) else slot for slot in slots]
    while todo:
        slot = ProgramSlot.objects.get(pk=todo.pop(0))
        while seats_taken(slot) < slot.capacity:
            first = slot_queue(slot).first()
            if first is None:
                break
            if first.state == State.WAITLISTED:
                perform(
                    first,
                    "promote",
                    by=None,
                    note=_("A seat in the %(slot)s slot became free.") % {"slot": slot.leave_at},
                    then=partial(_promoted, by=by),
                )
            else:
                old_slot = first.slot_id
                perform(
                    first,
                    "move_to_requested_slot",
                    by=None,
                    note=_("A seat in the %(slot)s slot became free.") % {"slot": slot.leave_at},
                    data={"from_slot": first.slot.leave_at},
                    then=_moved,
                )
                todo.append(old_slot)
            served.append(first.case.reference_no)
    return served


def _promoted(application: Application, *, by) -> None:
    _issue_bill(application, by=by)
    _tell(
        application,
        subject=_("A place is free: %(program)s") % {"program": _program_label(application)},
        body=_(
            "A seat in the %(slot)s slot is free for %(name)s, who was first on the waitlist. Pay the bill "
            "to take the place; an unpaid bill expires and the seat goes to the next family."
        )
        % {"slot": application.slot.leave_at, "name": application.student_name},
    )


def _moved(application: Application) -> None:
    _tell(
        application,
        subject=_("Leave-time slot changed: %(program)s") % {"program": _program_label(application)},
        body=_("A seat became free: %(name)s now leaves at %(slot)s.")
        % {"name": application.student_name, "slot": application.slot.leave_at},
    )


def _slot_of(program: Program, leave_at: str, *, field: str = "slot") -> ProgramSlot:
    slot = program.slots.filter(leave_at=(leave_at or "").strip()).first()
    if slot is None:
        choices = "、".join(program.slots.values_list("leave_at", flat=True))
        raise ValidationError(
            {field: [_("Choose one of the programme's leave times: %(slots)s.") % {"slots": choices}]}
        )
    return slot


# --- applying ------------------------------------------------------------------------------------------


def application_submit(
    *,
    guardian: User,
    program: Program,
    student_id_number: str,
    slot: str,
    by: User | None = None,
    channel: str = Channel.ONLINE,
) -> Application:
    """The guardian applies for their child, a pupil of the programme's school, in a leave-time slot.

    ``400`` for bad input, ``403`` (PermissionDenied) when the registries do not show the child as the
    guardian's, ``409`` (ActionNotAllowed) when a rule forbids it: the window is not open, the pupil is at
    another school or in another grade, the child already has an application for the programme. A slot
    with a seat holds one for the application (``awaiting_review``); a full slot waitlists it."""
    errors: dict[str, list[str]] = {}
    try:
        student_id = normalize_id_number(student_id_number or "")
    except ValidationError as exc:
        errors["student_id_number"] = exc.messages
        student_id = ""
    chosen = None
    try:
        chosen = _slot_of(program, slot)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if guardian.role != Role.CITIZEN or not guardian.id_number:
        raise PermissionDenied(_("Only a real-name verified guardian can apply."))
    today = cases.local_today()
    if not program.accepting_on(today):
        raise ActionNotAllowed(
            _("Applications for %(program)s are open from %(first)s to %(last)s.")
            % {
                "program": program.name,
                "first": program.applications_open,
                "last": program.applications_close,
            },
            code="window",
        )

    authorisation = authorisations_grant(
        guardian=guardian,
        purpose=_("After-school care application %(program)s") % {"program": program.name},
        subjects=[(student_id, LOOKUP_SOURCES)],
    )[0]
    requester = by or guardian
    child, belongs = _child_and_guardianship(
        student_id, guardian.id_number, requester=requester, authorisation=authorisation
    )
    if belongs is False:
        raise PermissionDenied(_("The household registry and birth records do not show this child as yours."))
    if belongs is None:
        raise ActionNotAllowed(
            _(
                "The household registry cannot be reached just now, so your guardianship cannot be checked. "
                "Please try again later."
            ),
            code="registry",
        )
    pupil = _student_for(student_id)
    school = program.school
    if pupil is None or pupil.status != RecordStatus.ENROLLED:
        raise ActionNotAllowed(
            _("The student registry shows no pupil with this ID number at school."), code="not_a_pupil"
        )
    if pupil.school_id != school.pk:
        raise ActionNotAllowed(
            _(
                "%(program)s is for pupils of %(school)s; the student registry shows the child at another "
                "school."
            )
            % {"program": program.name, "school": school.name},
            code="other_school",
        )
    if pupil.grade not in program.grade_list:
        raise ActionNotAllowed(
            _("%(program)s is for grades %(grades)s; the child is in grade %(grade)s.")
            % {"program": program.name, "grades": program.grades, "grade": pupil.grade},
            code="grade",
        )

    name = getattr(child, "name", "") or pupil.name
    try:
        with transaction.atomic():
            program = _lock_program(program.pk)
            existing = (
                Application.objects.filter(program=program, student_hash=keyed_hash(student_id))
                .exclude(state__in=[State.REJECTED, State.WITHDRAWN])
                .select_related("case")
                .first()
            )
            if existing is not None:
                raise ActionNotAllowed(
                    _("This child already has an application for the programme: %(ref)s.")
                    % {"ref": existing.case.reference_no},
                    code="duplicate",
                )
            chosen = ProgramSlot.objects.get(pk=chosen.pk)
            has_seat = seats_taken(chosen) < chosen.capacity and not slot_queue(chosen).exists()
            now = timezone.now()
            with cases.case_opening(
                service=ServiceItem.objects.get(code=ITEM),
                applicant=guardian,
                subject_name=name,
                subject_id_number=student_id,
                channel=channel,
                district=school.district,
                school=school,
                by=by,
                note=f"{program.name} {chosen.leave_at}",
            ) as case:
                application = Application(
                    case=case,
                    program=program,
                    slot=chosen,
                    guardian=guardian,
                    student_id_number=student_id,
                    student_name=name,
                    grade=pupil.grade,
                    state=State.AWAITING_REVIEW if has_seat else State.WAITLISTED,
                    queued_at=None if has_seat else now,
                )
                application.save()
                cases.case_log_event(
                    case=case,
                    action=AfterschoolAction.SEAT_TAKEN if has_seat else AfterschoolAction.WAITLISTED,
                    by=by or guardian,
                    to_state=application.state,
                    data={"slot": chosen.leave_at},
                )
                if has_seat:
                    cases.case_set_next_step(case=case, text=_("The school reviews the application."))
                else:
                    position = waitlist_position(application)
                    cases.case_set_next_step(
                        case=case,
                        text=_("On the waitlist for %(slot)s, number %(position)s.")
                        % {"slot": chosen.leave_at, "position": position},
                    )
                    # inside the block: written before the case number is taken, so the service's
                    # number counter stays locked only for the number and the commit (case_opening)
                    _tell(
                        application,
                        subject=_("On the waitlist: %(program)s") % {"program": _program_label(application)},
                        body=_(
                            "The %(slot)s slot is full; %(name)s is number %(position)s on its waitlist. "
                            "When a seat frees you will get a message and a bill."
                        )
                        % {"slot": chosen.leave_at, "name": name, "position": position},
                    )
    except IntegrityError:
        existing = (
            Application.objects.filter(program=program, student_hash=keyed_hash(student_id))
            .exclude(state__in=[State.REJECTED, State.WITHDRAWN])
            .first()
        )
        if existing is None:
            raise
        raise ActionNotAllowed(
            _("This child already has an application for the programme: %(ref)s.")
            % {"ref": existing.case.reference_no},
            code="duplicate",
        ) from None
    return application


# --- the school's review -------------------------------------------------------------------------------


def application_approve(*, application: Application, by: User, note: str = "") -> Application:
    """The school finds the pupil eligible: ``awaiting_payment`` with the term's bill."""

    def then(approved: Application) -> None:
        _issue_bill(approved, by=by)
        _tell(
            approved,
            subject=_("Approved: %(program)s") % {"program": _program_label(approved)},
            body=_("The school approved %(name)s for the %(slot)s slot. Pay the bill to take the place.")
            % {"name": approved.student_name, "slot": approved.slot.leave_at},
        )

    with transaction.atomic():
        _lock_program(application.program_id)
        return perform(application, "approve", by=by, note=note, then=then)


def application_reject(*, application: Application, by: User, note: str = "") -> Application:
    """Not eligible (the reason is required: the family reads it); a held seat goes to the waitlist."""
    note = (note or "").strip()
    if not note:
        # the role is checked before the input, so that a stranger learns nothing
        if not Application.school_reviewer(application, by):
            raise PermissionDenied(
                str(workflow.workflow_for(application).forbidden(application, by, "reject"))
            )
        raise ValidationError({"note": [_("Give the reason for the rejection; the family reads it.")]})

    def then(rejected: Application) -> None:
        cases.case_set_next_step(case=rejected.case, text="")
        _tell(
            rejected,
            subject=_("Not approved: %(program)s") % {"program": _program_label(rejected)},
            body=_("The school did not approve the application for %(name)s: %(reason)s")
            % {"name": rejected.student_name, "reason": note},
        )

    with transaction.atomic():
        program = _lock_program(application.program_id)
        held = application.state in SEAT_STATES
        rejected = perform(application, "reject", by=by, note=note, then=then, reason=note)
        if held:
            _fill(program, [rejected.slot_id], by=None)
    return rejected


# --- payment --------------------------------------------------------------------------------------------


def application_confirm_paid(*, order_id: int) -> str:
    """The bill of an application was paid (payments' ``bill_paid``, or the sweep): enrolled. A payment
    for an application no longer awaiting it (withdrawn meanwhile) is refunded in full. Idempotent."""
    application = Application.objects.filter(order_id=order_id).select_related("order").first()
    if application is None:
        return "not_ours"
    order = application.order
    if order.state not in (OrderState.PAID, OrderState.PARTLY_REFUNDED):
        return "skipped"
    if application.state == State.AWAITING_PAYMENT:

        def then(enrolled: Application) -> None:
            cases.case_set_next_step(case=enrolled.case, text="")
            _tell(
                enrolled,
                subject=_("Enrolled: %(program)s") % {"program": _program_label(enrolled)},
                body=_("%(name)s has a place in %(program)s, leaving at %(slot)s, from %(first)s.")
                % {
                    "name": enrolled.student_name,
                    "program": _program_label(enrolled),
                    "slot": enrolled.slot.leave_at,
                    "first": enrolled.program.term_starts,
                },
            )

        try:
            perform(application, "enroll", by=None, note=order.order_no, then=then, paid_at=order.paid_at)
        except ActionNotAllowed:
            return "skipped"  # another worker got there first
        return "enrolled"
    if application.state == State.ENROLLED or order.refundable_fen == 0:
        return "skipped"
    if order.refunds.exists():
        return "skipped"
    order_refund(
        order=order,
        by=None,
        reason=_("The application %(ref)s was no longer waiting for this payment.")
        % {"ref": application.case.reference_no},
    )
    return "refunded"


def application_lapse(*, order_id: int) -> str:
    """The bill expired unpaid (or was closed): the application is withdrawn and its seat freed."""
    application = Application.objects.filter(order_id=order_id, state=State.AWAITING_PAYMENT).first()
    if application is None:
        return "skipped"

    def then(lapsed: Application) -> None:
        _tell(
            lapsed,
            subject=_("Place released: %(program)s") % {"program": _program_label(lapsed)},
            body=_("The bill for %(name)s was not paid in time, so the seat went to the next family.")
            % {"name": lapsed.student_name},
        )

    with transaction.atomic():
        program = _lock_program(application.program_id)
        try:
            lapsed = perform(application, "lapse", by=None, note=_("The bill expired unpaid."), then=then)
        except ActionNotAllowed:
            return "skipped"
        _fill(program, [lapsed.slot_id])
    return "lapsed"


def applications_sweep() -> dict[str, int]:
    """Catch up with bills whose signal was lost: paid → enrolled, expired or closed → lapsed."""
    counts = {"enrolled": 0, "lapsed": 0}
    waiting = Application.objects.filter(state=State.AWAITING_PAYMENT, order__isnull=False)
    for order_id in waiting.filter(order__state=OrderState.PAID).values_list("order_id", flat=True):
        counts["enrolled"] += application_confirm_paid(order_id=order_id) == "enrolled"
    for order_id in waiting.filter(order__state__in=[OrderState.EXPIRED, OrderState.CLOSED]).values_list(
        "order_id", flat=True
    ):
        counts["lapsed"] += application_lapse(order_id=order_id) == "lapsed"
    return counts


# --- the family's changes ------------------------------------------------------------------------------


def application_change_slot(*, application: Application, by: User, slot: str, note: str = "") -> Application:
    """Another leave-time slot: at once when it has a seat, else queued for it keeping the current seat."""
    if not Application.the_guardian(application, by):
        raise PermissionDenied(forbidden_for(application, by, "change_slot"))
    target = _slot_of(application.program, slot)
    if target.pk == application.slot_id:
        raise ValidationError(
            {"slot": [_("The application is already in the %(slot)s slot.") % {"slot": target.leave_at}]}
        )
    with transaction.atomic():
        program = _lock_program(application.program_id)
        target = ProgramSlot.objects.get(pk=target.pk)
        old_slot = application.slot_id
        seat_free = seats_taken(target) < target.capacity and not slot_queue(target).exists()

        def then(changed: Application) -> None:
            if changed.requested_slot_id:
                position = waitlist_position(changed)
                cases.case_set_next_step(
                    case=changed.case,
                    text=_("Keeps the %(slot)s slot; number %(position)s in the queue for %(wanted)s.")
                    % {"slot": changed.slot.leave_at, "position": position, "wanted": target.leave_at},
                )

        changed = perform(
            application,
            "change_slot",
            by=by,
            note=note,
            data={"from_slot": application.slot.leave_at, "to_slot": target.leave_at, "seat_free": seat_free},
            then=then,
            slot=target,
            seat_free=seat_free,
            now=timezone.now(),
        )
        if changed.slot_id != old_slot:
            _fill(program, [old_slot, changed.slot_id])
    return changed


def forbidden_for(application: Application, by, action: str) -> str:
    return str(workflow.workflow_for(application).forbidden(application, by, action))


def application_withdraw(*, application: Application, by: User, note: str = "") -> Application:
    """The family withdraws. An enrolled pupil is refunded the unused part of the term pro rata by the
    school days left (:func:`afterschool.selectors.refund_quote`, shown before confirming); an unpaid bill
    is cancelled; a held seat goes to the waitlist."""
    if not Application.the_guardian(application, by):
        raise PermissionDenied(forbidden_for(application, by, "withdraw"))
    today = cases.local_today()
    cancel = []

    def then(withdrawn: Application) -> None:
        cases.case_set_next_step(case=withdrawn.case, text="")
        if withdrawn.refund_fen:
            order_refund(
                order=withdrawn.order,
                by=None,
                amount_fen=withdrawn.refund_fen,
                reason=_("Withdrawn from after-school care on %(day)s: the unused part of the term.")
                % {"day": today},
            )
        elif withdrawn.order_id and withdrawn.order.state == OrderState.CREATED:
            cancel.append(withdrawn.order)
        body = _("The application for %(name)s is withdrawn.") % {"name": withdrawn.student_name}
        if withdrawn.refund_fen:
            body += " " + _("%(amount)s is refunded for the school days left.") % {
                "amount": format_yuan(withdrawn.refund_fen)
            }
        _tell(
            withdrawn, subject=_("Withdrawn: %(program)s") % {"program": _program_label(withdrawn)}, body=body
        )

    with transaction.atomic():
        program = _lock_program(application.program_id)
        fresh = workflow.lock(application)
        held = fresh.state in SEAT_STATES
        amount = refund_quote(fresh, on=today) if fresh.state == State.ENROLLED else 0
        withdrawn = perform(
            application,
            "withdraw",
            by=by,
            note=note,
            data={"refund_fen": amount},
            then=then,
            on=today,
            refund_fen=amount,
        )
        if held:
            _fill(program, [withdrawn.slot_id])
        for order in cancel:
            transaction.on_commit(
                partial(order_cancel, order=order, reason=_("The after-school application was withdrawn."))
            )
    return withdrawn


# --- the school's programmes ---------------------------------------------------------------------------


def slot_set_capacity(*, slot: ProgramSlot, capacity: int, by: User) -> ProgramSlot:
    """The school changes a slot's seats; raised, the waitlist is promoted as far as the seats go. Not
    below the seats already held."""
    if not Program.school_staff(slot.program, by) or by is None:
        raise PermissionDenied(
            _("Only the school's clerks and the district's bureau staff manage its programmes.")
        )
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0 or capacity > 2000:
        raise ValidationError({"capacity": [_("Enter a number of seats from 0 to 2000.")]})
    with transaction.atomic():
        program = _lock_program(slot.program_id)
        locked = ProgramSlot.objects.get(pk=slot.pk)
        taken = seats_taken(locked)
        if capacity < taken:
            raise ValidationError(
                {
                    "capacity": [
                        _("%(taken)s seats are held already; the capacity cannot be lower.")
                        % {"taken": taken}
                    ]
                }
            )
        locked.capacity = capacity
        locked.save(update_fields=["capacity"])
        _fill(program, [locked.pk])
    slot.refresh_from_db()
    return locked


def program_close(*, program: Program, by: User | None, note: str = "") -> Program:
    """The school (or the term's end, ``by=None``) closes a programme: no more applications or changes."""
    return perform(program, "close", by=by, note=note)


def programs_close_ended(*, today: dt.date | None = None) -> int:
    """Term end closes programmes (the daily beat job); idempotent."""
    today = today or cases.local_today()
    closed = 0
    for program in Program.objects.filter(phase="running", term_ends__lt=today):
        program_close(program=program, by=None, note=_("The term has ended."))
        closed += 1
    return closed
