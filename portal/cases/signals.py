"""Signals the case kernel sends, so that apps the kernel must not import can follow cases.

``case_closed`` is sent by :func:`portal.cases.services.case_transition` when a case reaches a final status
(done, rejected, withdrawn), inside the action's transaction and after its trace entry is written, with
``sender=Case``, ``case`` (the locked, saved case) and ``status``. Receivers must not do slow work or I/O
there: they queue it with ``transaction.on_commit`` (the electronic archive queues the case's package), so a
rolled-back transition queues nothing.
"""

from django.dispatch import Signal

case_closed = Signal()
