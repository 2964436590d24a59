"""Thin, idempotent tasks (CELERY_BEAT_SCHEDULE): load by ID, call a service."""

from celery import shared_task

from studentstatus.services import corrections, suspensions


@shared_task(name="studentstatus.remind_suspensions", acks_late=True)
def remind_suspensions() -> dict:
    """The daily job: families are reminded a month before a suspension ends and when it has ended (once
    each, whatever the number of runs)."""
    return suspensions.suspensions_remind_due()


@shared_task(
    name="studentstatus.verify_correction",
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def verify_correction(correction_id: int) -> str:
    """Check a correction against 户籍 (nothing happens when it is no longer being checked)."""
    done = corrections.correction_verify(correction_id=correction_id)
    return done.state if done is not None else ""


@shared_task(name="studentstatus.sweep", acks_late=True)
def sweep() -> int:
    """Corrections whose check was lost (broker, worker) are queued again."""
    return corrections.corrections_requeue_stuck()
