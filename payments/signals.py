"""What payments tells the services that bill through it, without importing them (DESIGN.md, layers).

A service listens (``bill_paid.connect(receiver, dispatch_uid=…)`` from its ``AppConfig.ready``) and finds
its own row by the order's primary key. The signals are sent once the change has committed, with
``send_robust`` so that a failing receiver cannot undo or fail the payment: a service that needs
certainty also sweeps (after-school care re-reads paid bills of applications still awaiting payment).

- ``bill_paid(sender=Order, order_id)``: the order is recorded as paid;
- ``bill_expired(sender=Order, order_id)``: the order expired unpaid (or was closed): it cannot be paid.
"""

import logging
from functools import partial

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)

bill_paid = Signal()
bill_expired = Signal()


def _send(signal: Signal, order_id: int) -> None:
    from payments.models import Order

    for receiver, result in signal.send_robust(sender=Order, order_id=order_id):
        if isinstance(result, Exception):
            log.error(
                "receiver %r of a payments signal failed for order %s",
                receiver,
                order_id,
                exc_info=(type(result), result, result.__traceback__),
            )


def send_after_commit(signal: Signal, order_id: int) -> None:
    """Send ``signal`` for the order once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(_send, signal, order_id))
