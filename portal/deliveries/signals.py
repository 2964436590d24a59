"""Signals of the deliveries kernel, so services learn what became of what they sent without the kernel
importing them.

``delivery_reported(sender=Delivery, delivery=…)`` is sent inside the transaction that applied a courier's
report (in transit, delivered, failed), after the delivery's own event: a receiver that moves its own
model on (a teacher certificate to ``delivered``) does so atomically with the report.
"""

from django.dispatch import Signal

delivery_reported = Signal()
