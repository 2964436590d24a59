"""Periodic work of the case kernel. Thin and idempotent: load IDs, call a service per row."""

import datetime as dt
import logging

from celery import shared_task
from django.utils.translation import gettext as _

from portal.cases import selectors, services
from portal.cases.models import Case, RectificationTask

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


@shared_task(
    name="cases.recompute_deadlines",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def recompute_deadlines(day: str) -> int:
    """After a calendar day was entered, changed or removed: move the deadline of every running case
    whose window holds that day. Idempotent (an unchanged deadline writes nothing). Returns how many
    moved."""
    date = dt.date.fromisoformat(day)
    note = _("Working-day calendar changed for %(date)s") % {"date": date.isoformat()}
    moved = 0
    for case_id in selectors.cases_whose_deadline_spans(date).values_list("pk", flat=True).iterator():
        if services.case_recompute_deadline(case=Case.objects.get(pk=case_id), note=note):
            moved += 1
    if moved:
        log.info("calendar day %s moved the deadline of %s case(s)", day, moved)
    return moved


@shared_task(name="cases.sweep_orphan_attachments", acks_late=True)
def sweep_orphan_attachments() -> int:
    """Hourly: stored attachment files without a row, older than an hour
    (services.attachments_sweep_orphans)."""
    deleted = services.attachments_sweep_orphans(older_than=dt.timedelta(hours=1))
    if deleted:
        log.warning("deleted %s attachment file(s) no attachment refers to", deleted)
    return deleted
