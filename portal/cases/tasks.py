"""Periodic work of the case kernel. Thin and idempotent: load IDs, call a service per row."""

import logging

from celery import shared_task

from portal.cases import selectors, services
from portal.cases.models import RectificationTask

log = logging.getLogger(__name__)


@shared_task(
    name="cases.flag_overdue_rectifications",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def flag_overdue_rectifications() -> int:
    """Tell bureau staff about each open rectification past its due date — once per task: the
    ``rectification_overdue`` event marks it flagged, so running twice (or on two workers) sends nothing
    more. Returns how many were flagged now."""
    today = services.local_today()
    flagged = 0
    for task_id in selectors.overdue_rectifications(today).values_list("pk", flat=True):
        task = RectificationTask.objects.select_related("case").get(pk=task_id)
        if services.rectification_flag_overdue(task=task, today=today):
            flagged += 1
    if flagged:
        log.info("flagged %s overdue rectification task(s)", flagged)
    return flagged
