"""Payment actions: one keyword-only function per action (DESIGN.md, Workflows).

Each change runs in one transaction with the order row locked (``select_for_update``), calls the order's
django-fsm transition, saves (``ConcurrentTransitionMixin`` refuses a save from a stale state as a second
guard), writes a typed event to the order's case and queues its side effects after commit. Calls to the
payment platform never run inside a transaction: a slow platform must hold no lock.

Whoever learns that an order is paid — the notification endpoint, an order query, the expiry sweep, the
daily reconciliation — goes through :func:`order_confirm_paid`, so the order changes state exactly once
however many of them learn it, in whatever order.
"""

import datetime as dt
import logging
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from payments import platform, signals
from payments.catalogue import FEE_ITEM, PaymentAction
from payments.models import LIVE_STATES, Billing, FeeItem, NotificationOutcome, Order, OrderState, PaidVia
from payments.money import format_yuan
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Case, CaseEvent, Channel
from portal.cases.workflow import ActionNotAllowed, perform
from portal.catalog.models import ServiceItem
from portal.core.idcodes import normalize_id_number
from portal.notify.services import message_send

log = logging.getLogger(__name__)

REGISTER_RETRY_AFTER = dt.timedelta(minutes=2)  # the sweeper re-queues registrations older than this
MAX_REGISTER_ATTEMPTS = 30  # then staff look at ``last_platform_error`` (admin) instead of the sweeper


class DuplicateBill(Exception):
    """A live bill for the same person, fee item and month exists already."""

    def __init__(self, order_no: str):
        self.order_no = order_no
        super().__init__(order_no)


@dataclass(frozen=True)
class Outcome:
    """What became of a report about an order (a notification, a statement line, a query)."""

    outcome: str  # a NotificationOutcome value
    detail: str = ""
    order: Order | None = None

    @property
    def changed(self) -> bool:
        return self.outcome == NotificationOutcome.APPLIED


# --- helpers ------------------------------------------------------------------------------------------


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=cases.BUREAU_TZ)


def _new_order_no() -> str:
    return f"JF{cases.local_today():%Y%m%d}{secrets.randbelow(10**10):010d}"


def is_own_case(order: Order) -> bool:
    """The order's case was opened for the bill itself (a standalone bill under the FEE item), so the
    bill's fate is the case's: paid → done, expired or closed → withdrawn."""
    return order.case.service.code == FEE_ITEM


def log_event(order: Order, action, *, by=None, note: str = "", from_state: str = "", data=None) -> None:
    cases.case_log_event(
        case=order.case,
        action=action,
        by=by,
        note=note,
        from_state=from_state,
        to_state=order.state if from_state else "",
        data={"order_no": order.order_no, **(data or {})},
    )


def tell_payer(order: Order, *, subject: str, body: str) -> None:
    message_send(recipient=order.payer, subject=subject[:200], body=body, case=order.case)


def notify_bureau(*, district, subject: str, body: str, case: Case | None = None) -> int:
    """A site message (plus SMS / e-mail after commit) to every active bureau user of ``district``."""
    staff = User.objects.filter(role=Role.BUREAU, district=district, is_active=True).order_by("pk")
    for user in staff:
        message_send(recipient=user, subject=subject[:200], body=body, case=case)
    return len(staff)


def order_url(order: Order) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("payments:order", args=[order.order_no])


def notify_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("payments:notify")


def _queue_registration(order: Order) -> None:
    from payments.tasks import register_order

    transaction.on_commit(partial(register_order.delay, order.pk))


# --- issuing a bill -----------------------------------------------------------------------------------


def order_issue(
    *,
    fee_item: FeeItem,
    payer: User,
    subject_name: str = "",
    subject_id_number: str = "",
    case: Case | None = None,
    school=None,
    period: str = "",
    billing_key: str = "",
    title: str = "",
    by: User | None = None,
    channel: str = Channel.ONLINE,
) -> Order:
    """Issue a bill of ``fee_item`` to ``payer`` for a person (the subject), due ``days_to_pay`` days from
    today. With ``case`` the bill joins that case (the application it is billed for); without, a case of
    the FEE service item is opened for it. The payment code is fetched from the platform after commit.

    ``by`` is the staff member issuing it (None: the system, e.g. the monthly run). Raises a field
    ``ValidationError`` for bad input and :class:`DuplicateBill` for a second live bill with the same
    ``billing_key``."""
    errors: dict[str, list[str]] = {}
    subject_name = (subject_name or (case.subject_name if case else "")).strip()
    if subject_id_number:
        try:
            subject_id_number = normalize_id_number(subject_id_number)
        except ValidationError as exc:
            errors["subject_id_number"] = exc.messages
    elif case is not None:
        subject_id_number = case.subject_id_number
    if not subject_name:
        errors["subject_name"] = [_("Enter the name of the person the bill is for.")]
    if not fee_item.active:
        errors["fee_item"] = [_("This fee item is not active.")]
    if payer.role != Role.CITIZEN or payer.is_superuser:
        errors["payer"] = [_("Bills are paid by a citizen's account (the family).")]
    if case is not None and case.applicant_id != payer.pk:
        errors["payer"] = [_("The payer must be the applicant of the case.")]
    if period:
        try:
            dt.date.fromisoformat(f"{period}-01")
        except ValueError:
            errors["period"] = [_("Give the month as YYYY-MM.")]
    if fee_item.billing == Billing.MONTHLY and not period:
        errors["period"] = [_("A monthly fee is billed for a month (YYYY-MM).")]
    district = case.district if case is not None else fee_item.district
    if district.pk != fee_item.district_id:
        errors["fee_item"] = [_("The fee item belongs to another district.")]
    school = school if school is not None else (case.school if case is not None else fee_item.school)
    if school is not None and school.district_id != district.pk:
        errors["school"] = [_("The school is not in the bill's district.")]
    if fee_item.school_id and school is not None and fee_item.school_id != school.pk:
        errors["fee_item"] = [_("The fee item belongs to another school.")]
    if errors:
        raise ValidationError(errors)

    today = cases.local_today()
    try:
        # a bill of its own opens its case, numbered after the bill's writes (the number's lock is short)
        own_case = (
            nullcontext(case)
            if case is not None
            else cases.case_opening(
                service=ServiceItem.objects.get(code=FEE_ITEM),
                applicant=payer,
                subject_name=subject_name,
                subject_id_number=subject_id_number,
                channel=channel,
                district=district,
                school=school,
                by=by,
                note=fee_item.name,
            )
        )
        with transaction.atomic(), own_case as case:
            order = Order.objects.create(
                order_no=_new_order_no(),
                fee_item=fee_item,
                case=case,
                payer=payer,
                subject_name=subject_name,
                subject_id_number=subject_id_number,
                district=district,
                school=school,
                title=(title or fee_item.name)[:200],
                period=period,
                billing_key=billing_key,
                amount_fen=fee_item.amount_fen,
                expires_at=_end_of_day(today + dt.timedelta(days=fee_item.days_to_pay)),
            )
            log_event(
                order,
                PaymentAction.BILL_ISSUED,
                by=by,
                note=order.title,
                data={"amount_fen": order.amount_fen, "expires_at": order.expires_at.isoformat()},
            )
            due = timezone.localtime(order.expires_at, cases.BUREAU_TZ).date()
            if is_own_case(order) and not case.promised_days:
                # a bill's own case is due when the bill is (its 缴费期限): one deadline everywhere
                cases.case_set_deadline(case=case, deadline=due)
            if is_own_case(order):
                cases.case_set_next_step(
                    case=case,
                    text=_("Pay %(amount)s by %(due)s.")
                    % {"amount": format_yuan(order.amount_fen), "due": due},
                )
            tell_payer(
                order,
                subject=_("Bill: %(title)s, %(amount)s")
                % {"title": order.title, "amount": format_yuan(order.amount_fen)},
                body=_(
                    "%(title)s for %(name)s: %(amount)s, to be paid by %(due)s. Pay online on the bill page: "
                    "%(url)s"
                )
                % {
                    "title": order.title,
                    "name": subject_name,
                    "amount": format_yuan(order.amount_fen),
                    "due": due,
                    "url": order_url(order),
                },
            )
            _queue_registration(order)
    except IntegrityError:
        if billing_key:
            existing = Order.objects.filter(billing_key=billing_key, state__in=LIVE_STATES)
            found = existing.values_list("order_no", flat=True).first()
            if found:
                raise DuplicateBill(found) from None
        raise
    return order


# --- the payment code ---------------------------------------------------------------------------------


def order_register(*, order_id: int) -> str:
    """Register an unpaid order with the platform, which gives it the payment code (缴款码) and pay link.

    Idempotent (skips a registered or no longer payable order; the platform answers a repeated request
    with the same code). Raises :class:`platform.PlatformUnavailable` for the task to retry."""
    order = Order.objects.select_related("payer").filter(pk=order_id).first()
    if order is None or order.state != OrderState.CREATED or order.is_registered:
        return "skipped"
    try:
        answer = platform.create_order(
            out_trade_no=order.order_no,
            amount_fen=order.amount_fen,
            subject=order.title,
            payer_name=order.subject_name,
            expire_at=order.expires_at,
            notify_url=notify_url(),
            return_url=order_url(order),
        )
    except platform.PlatformError as exc:
        Order.objects.filter(pk=order.pk).update(
            register_attempts=F("register_attempts") + 1, last_platform_error=str(exc)[:300]
        )
        raise
    if answer.amount_fen != order.amount_fen or answer.out_trade_no != order.order_no:
        Order.objects.filter(pk=order.pk).update(
            last_platform_error=_("The platform registered a different amount; the order was not used.")
        )
        log.error("platform registered %s with amount %s", order.order_no, answer.amount_fen)
        return "mismatch"
    with transaction.atomic():
        locked = workflow.lock(order)
        if locked.state != OrderState.CREATED or locked.is_registered:
            return "skipped"
        locked.payment_code, locked.pay_url = answer.payment_code, answer.pay_url
        locked.registered_at, locked.last_platform_error = timezone.now(), ""
        locked.save(update_fields=["payment_code", "pay_url", "registered_at", "last_platform_error"])
        log_event(locked, PaymentAction.PAYMENT_CODE, data={"payment_code": answer.payment_code})
    if answer.paid and answer.paid_at:  # a lost answer, and the family paid meanwhile
        order_confirm_paid(
            order_no=order.order_no,
            amount_fen=answer.amount_fen,
            trade_no=answer.trade_no,
            paid_at=answer.paid_at,
            via=PaidVia.QUERY,
        )
    return "registered"


def order_ensure_registered(*, order: Order) -> Order:
    """For the family's "pay" button: register now if the background task has not yet. Raises a
    ValidationError with a message for the family when the platform cannot be reached."""
    if order.state == OrderState.CREATED and not order.is_registered:
        try:
            order_register(order_id=order.pk)
        except platform.PlatformError as exc:
            raise ValidationError(
                _("The payment platform cannot be reached just now. Please try again in a few minutes.")
            ) from exc
    order.refresh_from_db()
    return order


# --- paid ---------------------------------------------------------------------------------------------


def alert_bureau_once(order: Order, outcome: str, *, subject: str, body: str) -> None:
    """Write the refusal to the case trace and tell bureau staff — once per order and kind of refusal."""
    seen = CaseEvent.objects.filter(
        case=order.case,
        action=PaymentAction.NOTIFICATION_REFUSED,
        data__order_no=order.order_no,
        data__outcome=outcome,
    ).exists()
    log_event(order, PaymentAction.NOTIFICATION_REFUSED, note=body[:2000], data={"outcome": outcome})
    if not seen:
        notify_bureau(district=order.district, subject=subject, body=body, case=order.case)


def _apply_payment(
    order: Order, *, amount_fen: int, trade_no: str, paid_at: dt.datetime, via: str, payment_code: str = ""
) -> Outcome:
    """The decision, on a locked order. Refusals change nothing but the trace."""
    if amount_fen != order.amount_fen:
        detail = _("Reported %(got)s for order %(no)s of %(want)s.") % {
            "got": format_yuan(amount_fen),
            "no": order.order_no,
            "want": format_yuan(order.amount_fen),
        }
        alert_bureau_once(
            order,
            NotificationOutcome.AMOUNT_MISMATCH,
            subject=_("Payment of the wrong amount reported for %(no)s") % {"no": order.order_no},
            body=detail,
        )
        return Outcome(NotificationOutcome.AMOUNT_MISMATCH, detail, order)
    if payment_code and order.payment_code and payment_code != order.payment_code:
        return Outcome(
            NotificationOutcome.OUT_OF_ORDER,
            _("The payment code does not match order %(no)s.") % {"no": order.order_no},
            order,
        )
    if order.state in (OrderState.PAID, OrderState.PARTLY_REFUNDED, OrderState.REFUNDED):
        if order.platform_trade_no == trade_no:
            return Outcome(NotificationOutcome.DUPLICATE, _("Already recorded as paid."), order)
        detail = _("Order %(no)s is paid by transaction %(old)s; another payment %(new)s was reported.") % {
            "no": order.order_no,
            "old": order.platform_trade_no,
            "new": trade_no,
        }
        alert_bureau_once(
            order,
            NotificationOutcome.OUT_OF_ORDER,
            subject=_("Second payment reported for %(no)s") % {"no": order.order_no},
            body=detail,
        )
        return Outcome(NotificationOutcome.OUT_OF_ORDER, detail, order)
    if order.state != OrderState.CREATED:  # expired or closed: the platform should have refused the payment
        detail = _(
            "A payment was reported for order %(no)s, which is %(state)s; it was not recorded. Check with "
            "the payment platform and refund the payer if money was taken."
        ) % {"no": order.order_no, "state": order.get_state_display()}
        alert_bureau_once(
            order,
            NotificationOutcome.OUT_OF_ORDER,
            subject=_("Payment reported for a closed bill %(no)s") % {"no": order.order_no},
            body=detail,
        )
        return Outcome(NotificationOutcome.OUT_OF_ORDER, detail, order)

    def then(paid: Order) -> None:
        from payments.receipts import receipt_register

        receipt_register(paid)  # the e-receipt, in the document registry (portal.documents)
        if is_own_case(paid):
            cases.case_set_next_step(case=paid.case, text=_("Paid. The e-receipt is on the bill page."))
        tell_payer(
            paid,
            subject=_("Payment received: %(title)s") % {"title": paid.title},
            body=_("We received %(amount)s for %(title)s (%(name)s). E-receipt %(receipt)s: %(url)s")
            % {
                "amount": format_yuan(amount_fen),
                "title": paid.title,
                "name": paid.subject_name,
                "receipt": paid.receipt_no,
                "url": order_url(paid),
            },
        )
        signals.send_after_commit(signals.bill_paid, paid.pk)

    order = perform(
        order,
        "pay",
        by=None,
        note=order.title,
        data=lambda paid: {
            "amount_fen": amount_fen,
            "trade_no": trade_no,
            "via": via,
            "receipt_no": paid.receipt_no,
        },
        then=then,
        amount_fen=amount_fen,
        trade_no=trade_no,
        paid_at=paid_at,
        via=via,
    )
    return Outcome(NotificationOutcome.APPLIED, _("Recorded as paid."), order)


def order_confirm_paid(
    *,
    order_no: str,
    amount_fen: int,
    trade_no: str,
    paid_at: dt.datetime,
    via: str,
    payment_code: str = "",
) -> Outcome:
    """Record that the platform took ``amount_fen`` for the order — exactly once: the order row is locked
    before its state is read, so a second report (a repeated notification, another worker, the
    reconciliation) finds it paid and is a duplicate. A wrong amount, a second transaction or a payment
    for an expired or closed order is refused, written to the case trace, and bureau staff are told."""
    with transaction.atomic():
        pk = Order.objects.filter(order_no=order_no).values_list("pk", flat=True).first()
        if pk is None:
            return Outcome(NotificationOutcome.UNKNOWN_ORDER, _("No order %(no)s.") % {"no": order_no})
        order = workflow.lock(Order, pk)
        try:
            with transaction.atomic():
                return _apply_payment(
                    order,
                    amount_fen=amount_fen,
                    trade_no=trade_no,
                    paid_at=paid_at,
                    via=via,
                    payment_code=payment_code,
                )
        except ConcurrentTransition:  # without the row lock (SQLite) the optimistic check still holds
            return Outcome(NotificationOutcome.DUPLICATE, _("Changed by another worker."), order)


def order_refresh(*, order: Order) -> Outcome | None:
    """Ask the platform how an unpaid order stands and record a payment it reports (the family's "I have
    paid" button; a lost notification). None when there is nothing to record."""
    if order.state != OrderState.CREATED or not order.is_registered:
        return None
    try:
        answer = platform.query_order(out_trade_no=order.order_no)
    except platform.PlatformError as exc:
        raise ValidationError(
            _("The payment platform cannot be reached just now. Please try again in a few minutes.")
        ) from exc
    if not (answer.paid and answer.paid_at):
        return None
    return order_confirm_paid(
        order_no=order.order_no,
        amount_fen=answer.amount_fen,
        trade_no=answer.trade_no,
        paid_at=answer.paid_at,
        via=PaidVia.QUERY,
        payment_code=answer.payment_code,
    )


# --- expired, closed ----------------------------------------------------------------------------------


def _close_at_platform(order: Order) -> tuple[str, Outcome | None]:
    """Close the order at the platform first, so that nobody can pay a bill the portal gave up on.

    Returns ("closed", None), ("paid", outcome) when the platform says it was paid meanwhile (recorded
    here), or raises PlatformUnavailable."""
    try:
        platform.close_order(out_trade_no=order.order_no)
    except platform.PlatformRefused as exc:
        if exc.code == "not_found":  # never registered: nothing to close there
            return "closed", None
        if exc.code != "already_paid":
            raise platform.PlatformUnavailable(str(exc)) from exc
        answer = platform.query_order(out_trade_no=order.order_no)
        return "paid", order_confirm_paid(
            order_no=order.order_no,
            amount_fen=answer.amount_fen,
            trade_no=answer.trade_no,
            paid_at=answer.paid_at or timezone.now(),
            via=PaidVia.QUERY,
            payment_code=answer.payment_code,
        )
    return "closed", None


def order_expire(*, order: Order) -> str:
    """Expire an unpaid order past its due time (the sweep). The platform closes it first; if it was
    paid meanwhile the payment is recorded instead. Returns expired / paid / skipped / waiting (the
    platform could not be reached; the next sweep tries again)."""
    if order.state != OrderState.CREATED or not order.past_due():
        return "skipped"
    try:
        result, _outcome = _close_at_platform(order)
    except platform.PlatformError as exc:
        Order.objects.filter(pk=order.pk).update(last_platform_error=str(exc)[:300])
        log.warning("order %s not expired: the platform did not close it: %s", order.order_no, exc)
        return "waiting"
    if result == "paid":
        return "paid"
    with transaction.atomic():
        if not can_proceed(workflow.lock(order).expire):
            return "skipped"
        expire_locked(order)
    return "expired"


def expire_locked(order: Order) -> Order:
    """Expire an unpaid, past-due order that the platform has closed: the transition, the trace, the
    family told (the caller holds the order's row lock, or perform takes it)."""

    def then(expired: Order) -> None:
        if is_own_case(expired):
            cases.case_set_next_step(case=expired.case, text=_("The bill expired unpaid."))
        tell_payer(
            expired,
            subject=_("Bill expired: %(title)s") % {"title": expired.title},
            body=_(
                "%(title)s for %(name)s was not paid by the due time and can no longer be paid online. "
                "Contact the school or the bureau if you still need to pay."
            )
            % {"title": expired.title, "name": expired.subject_name},
        )
        signals.send_after_commit(signals.bill_expired, expired.pk)

    return perform(order, "expire", by=None, note=_("The bill expired unpaid."), then=then)


def order_close(*, order: Order, by: User, reason: str) -> Order:
    """Bureau staff cancel an unpaid bill (issued in error). Closed at the platform first; a bill the
    family has just paid is recorded as paid and the close is refused."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the bill is closed; the family reads it.")]})
    if by is None or not Order.bureau_in_scope(order, by):
        raise PermissionDenied(_("Only bureau staff of the bill's district may close it."))
    if order.state != OrderState.CREATED:
        raise ActionNotAllowed(workflow.refusal_reason(order, "close"), code="state")
    try:
        result, _outcome = _close_at_platform(order)
    except platform.PlatformError as exc:
        raise ValidationError(
            _("The payment platform cannot be reached just now; the bill was not closed. Try again later.")
        ) from exc
    if result == "paid":
        order.refresh_from_db()
        raise ActionNotAllowed(
            _("Order %(no)s has just been paid; it was not closed.") % {"no": order.order_no}, code="paid"
        )
    return close_locked(order, by=by, reason=reason)


def close_locked(order: Order, *, by: User | None, reason: str) -> Order:
    """Close an unpaid order that the platform has closed: the transition, the trace, the family told."""

    def then(closed: Order) -> None:
        if is_own_case(closed):
            cases.case_set_next_step(case=closed.case, text=_("The bill was cancelled."))
        tell_payer(
            closed,
            subject=_("Bill cancelled: %(title)s") % {"title": closed.title},
            body=_("%(title)s for %(name)s was cancelled: %(reason)s")
            % {"title": closed.title, "name": closed.subject_name, "reason": reason},
        )
        signals.send_after_commit(signals.bill_expired, closed.pk)

    return perform(order, "close", by=by, note=reason, then=then)


def order_cancel(*, order: Order, reason: str) -> Order | None:
    """The system cancels an unpaid bill the service no longer needs (the family withdrew the
    application it was issued for): closed at the platform first, then here. Returns the closed order,
    or None when there was nothing to close (already paid, expired or closed — a payment that arrives
    is the service's to refund) or the platform could not be reached (the bill then expires unpaid)."""
    if order.state != OrderState.CREATED:
        return None
    try:
        result, _outcome = _close_at_platform(order)
    except platform.PlatformError as exc:
        log.warning("order %s not cancelled: the platform did not close it: %s", order.order_no, exc)
        return None
    if result == "paid":
        return None
    with transaction.atomic():
        if not can_proceed(workflow.lock(order).close):
            return None
        return close_locked(order, by=None, reason=reason)


# --- sweeps -------------------------------------------------------------------------------------------


def orders_due_for_expiry(now: dt.datetime | None = None):
    return Order.objects.filter(state=OrderState.CREATED, expires_at__lte=now or timezone.now()).order_by(
        "expires_at", "pk"
    )


def orders_awaiting_registration(now: dt.datetime | None = None):
    cutoff = (now or timezone.now()) - REGISTER_RETRY_AFTER
    return Order.objects.filter(
        state=OrderState.CREATED,
        payment_code="",
        created_at__lte=cutoff,
        expires_at__gt=now or timezone.now(),
        register_attempts__lt=MAX_REGISTER_ATTEMPTS,
    ).order_by("pk")
