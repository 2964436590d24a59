"""Following the case kernel: a case that reaches a final status gets its package, after commit."""

from functools import partial

from django.db import transaction


def queue_package(sender, case, **kwargs) -> None:
    """``portal.cases.signals.case_closed`` receiver: queue the package build once the closing
    transaction commits (a rolled-back transition queues nothing)."""
    from archive.tasks import build_package

    transaction.on_commit(partial(build_package.delay, case.pk))
