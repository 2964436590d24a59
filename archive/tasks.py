"""Archive tasks: thin and idempotent (a package that exists is returned, never rebuilt)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from archive import selectors, services
from archive.package import PackageBuildError

log = logging.getLogger(__name__)

SWEEP_GRACE = timedelta(minutes=10)  # a case closed this recently still has its own task on the way
SWEEP_BATCH = 200


@shared_task(
    name="archive.build_package",
    acks_late=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def build_package(case_id: int) -> str:
    """Make the package of a closed case (queued on commit of the closing transition)."""
    try:
        package = services.archive_case(case_id=case_id)
    except PackageBuildError:
        log.exception("case %s cannot be archived", case_id)  # a person must look; retrying will not help
        return "failed"
    return package.archival_code if package else "not_final"


@shared_task(name="archive.sweep_unarchived", acks_late=True)
def sweep_unarchived() -> int:
    """Queue the package of every case closed more than a few minutes ago that has none (a lost broker
    message or a killed worker loses no package)."""
    case_ids = list(selectors.closed_without_package(before=timezone.now() - SWEEP_GRACE)[:SWEEP_BATCH])
    for case_id in case_ids:
        build_package.delay(case_id)
    if case_ids:
        log.info("queued %s unarchived closed case(s)", len(case_ids))
    return len(case_ids)
