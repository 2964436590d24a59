"""Full and partial refunds (退费).

A refund is taken in two steps so that the platform is never called inside a transaction:

1. :func:`order_refund` locks the order, checks the amount against what may still be refunded and
   *reserves* it (``refund_pending_fen``) with a ``requested`` Refund row — in one transaction, so two
   refunds at the same moment cannot together exceed what was paid; the database refuses it too
   (``order_refunds_within_paid``);
2. :func:`refund_execute` asks the platform (idempotent by the refund number) and books the answer: the
   money moves from "pending" to "refunded" and the order becomes partly refunded or refunded, or the
   reservation is released when the platform says no. When the platform cannot be reached the refund
   stays requested and the sweep sends it again; a ``refund.success`` notification or the daily
   statement completes it too (:func:`refund_complete`).
"""

import logging
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from payments import platform
from payments.catalogue import PaymentAction
from payments.models import PAID_STATES, NotificationOutcome, Order, Refund, RefundState
from payments.money import format_yuan
from payments.services import Outcome, log_event, tell_payer
from portal.cases import workflow
from portal.cases.workflow import ActionNotAllowed, perform

log = logging.getLogger(__name__)


def _refund_not_allowed(order: Order):
    return ActionNotAllowed(
        _("Order %(no)s is %(state)s; only a paid bill can be refunded.")
        % {"no": order.order_no, "state": order.get_state_display()},
        code="state",
    )


def order_refund(*, order: Order, by, reason: str, amount_fen: int | None = None) -> Refund:
    """Refund ``amount_fen`` of a paid order (all that is left when None) to the payer.

    Bureau staff of the order's district (or the system, ``by=None``, e.g. a withdrawal from after-school
    care). A field error when the amount is not positive or more than may still be refunded; 409 when the
    order is not paid. Returns the Refund, ``succeeded`` once the platform has carried it out (or still
    ``requested`` when the platform could not be reached; the sweep retries it). Called inside a
    transaction, the platform is asked only after that transaction commits."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the money is refunded; the family reads it.")]
    if amount_fen is not None and (isinstance(amount_fen, bool) or not isinstance(amount_fen, int)):
        errors["amount"] = [_("Enter the amount in fen as a whole number.")]
    elif amount_fen is not None and amount_fen <= 0:
        errors["amount"] = [_("Enter an amount greater than zero.")]
    if errors:
        raise ValidationError(errors)
    if not Order.bureau_in_scope(order, by):
        raise PermissionDenied(_("Only bureau staff of the bill's district may refund it."))

    inside_a_transaction = transaction.get_connection().in_atomic_block
    with transaction.atomic():
        locked = workflow.lock(order)
        if locked.state not in PAID_STATES:
            raise _refund_not_allowed(locked)
        available = locked.refundable_fen
        if available == 0:
            raise ActionNotAllowed(
                _("Order %(no)s has nothing left to refund (paid %(paid)s, refunded %(refunded)s).")
                % {
                    "no": locked.order_no,
                    "paid": format_yuan(locked.paid_fen),
                    "refunded": format_yuan(locked.refunded_fen + locked.refund_pending_fen),
                },
                code="nothing_left",
            )
        amount = available if amount_fen is None else amount_fen
        if amount > available:
            raise ValidationError(
                {
                    "amount": [
                        _(
                            "At most %(max)s can be refunded "
                            "(paid %(paid)s, refunded or being refunded %(done)s)."
                        )
                        % {
                            "max": format_yuan(available),
                            "paid": format_yuan(locked.paid_fen),
                            "done": format_yuan(locked.refunded_fen + locked.refund_pending_fen),
                        }
                    ]
                }
            )
        number = locked.refunds.count() + 1
        refund = Refund.objects.create(
            order=locked,
            refund_no=f"TK{locked.order_no[2:]}{number:02d}",
            amount_fen=amount,
            reason=reason[:300],
            requested_by=by,
        )
        locked.refund_pending_fen += amount
        locked.save(update_fields=["refund_pending_fen"])  # the CHECK constraint guards this line too
        log_event(
            locked,
            PaymentAction.REFUND_REQUESTED,
            by=by,
            note=reason,
            data={"refund_no": refund.refund_no, "amount_fen": amount},
        )
        if inside_a_transaction:  # reach the platform only once the caller's transaction has committed
            transaction.on_commit(partial(refund_execute, refund_id=refund.pk))
            return refund
    refund_execute(refund_id=refund.pk)
    refund.refresh_from_db()
    order.refresh_from_db()
    return refund


def refund_execute(*, refund_id: int) -> str:
    """Send a requested refund to the platform and book the answer. Idempotent: a refund no longer
    requested is skipped, and the platform answers a repeated refund number with the same refund."""
    refund = Refund.objects.select_related("order").filter(pk=refund_id).first()
    if refund is None or refund.state != RefundState.REQUESTED:
        return "skipped"
    try:
        answer = platform.refund(
            out_trade_no=refund.order.order_no,
            refund_no=refund.refund_no,
            amount_fen=refund.amount_fen,
            reason=refund.reason,
        )
    except platform.PlatformRefused as exc:
        return _refund_refused(refund, f"{exc.code}: {exc.message}" if exc.message else exc.code)
    except platform.PlatformError as exc:
        Refund.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1, last_error=str(exc)[:300])
        log.warning("refund %s not sent: %s", refund.refund_no, exc)
        return "waiting"
    if answer.amount_fen != refund.amount_fen:
        log.error(
            "platform booked refund %s for %s, not %s", refund.refund_no, answer.amount_fen, refund.amount_fen
        )
        Refund.objects.filter(pk=refund.pk).update(
            last_error=_("The platform reports a different amount; check the statement.")
        )
        return "mismatch"
    return refund_complete(refund_no=refund.refund_no, platform_refund_no=answer.platform_refund_no).outcome


def refund_complete(*, refund_no: str, platform_refund_no: str, amount_fen: int | None = None) -> Outcome:
    """Book a refund the platform carried out (its answer, a ``refund.success`` notification or the
    statement) — exactly once, under the order's row lock."""
    with transaction.atomic():
        row = Refund.objects.filter(refund_no=refund_no).values_list("pk", "order_id").first()
        if row is None:
            return Outcome(NotificationOutcome.UNKNOWN_ORDER, _("No refund %(no)s.") % {"no": refund_no})
        order = workflow.lock(Order, row[1])
        refund = Refund.objects.select_for_update().get(pk=row[0])
        if amount_fen is not None and amount_fen != refund.amount_fen:
            return Outcome(
                NotificationOutcome.AMOUNT_MISMATCH,
                _("Refund %(no)s is for %(want)s; %(got)s was reported.")
                % {"no": refund_no, "want": format_yuan(refund.amount_fen), "got": format_yuan(amount_fen)},
                order,
            )
        if refund.state == RefundState.SUCCEEDED:
            return Outcome(NotificationOutcome.DUPLICATE, _("Already booked."), order)
        if not can_proceed(refund.succeed):
            return Outcome(
                NotificationOutcome.OUT_OF_ORDER,
                _("Refund %(no)s was refused by the platform earlier.") % {"no": refund_no},
                order,
            )
        refund.succeed(platform_refund_no=platform_refund_no)
        refund.save()

        def then(refunded: Order) -> None:
            tell_payer(
                refunded,
                subject=_("Refund: %(title)s") % {"title": refunded.title},
                body=_("%(amount)s of %(title)s (%(name)s) has been refunded to you: %(reason)s")
                % {
                    "amount": format_yuan(refund.amount_fen),
                    "title": refunded.title,
                    "name": refunded.subject_name,
                    "reason": refund.reason,
                },
            )
            if full:
                from payments.receipts import receipt_void

                receipt_void(refunded, reason=_("Voided by a full refund."))

        full = order.refunded_fen + refund.amount_fen == order.paid_fen
        order = perform(
            order,
            "refund_fully" if full else "refund_partly",
            by=None,
            data=lambda refunded: {
                "refund_no": refund.refund_no,
                "amount_fen": refund.amount_fen,
                "refunded_fen": refunded.refunded_fen,
            },
            then=then,
            amount_fen=refund.amount_fen,
        )
    return Outcome(NotificationOutcome.APPLIED, _("Refund booked."), order)


def _refund_refused(refund: Refund, error: str) -> str:
    with transaction.atomic():
        order = workflow.lock(Order, refund.order_id)
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if not can_proceed(locked.fail):
            return "skipped"
        locked.fail(error=error)
        locked.save()
        order.refund_pending_fen -= locked.amount_fen
        order.save(update_fields=["refund_pending_fen"])
        log_event(
            order,
            PaymentAction.REFUND_FAILED,
            note=error,
            data={"refund_no": locked.refund_no, "amount_fen": locked.amount_fen},
        )
    log.warning("refund %s refused by the platform: %s", refund.refund_no, error)
    return "failed"


def refunds_awaiting_platform():
    return Refund.objects.filter(state=RefundState.REQUESTED).order_by("pk")
