"""Thin, idempotent tasks (CELERY_BEAT_SCHEDULE): load by ID, call a service; ``acks_late``, queued only
after commit."""

from celery import shared_task

from studentstatus.services import corrections, graduation, suspensions, transfers


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


@shared_task(name="studentstatus.graduation_run", acks_late=True)
def graduation_run(run_id: int) -> int:
    """Graduate the run's final junior grade, chunk by chunk; returns how many are graduated."""
    return graduation.graduation_execute(run_id=run_id).graduated


@shared_task(
    name="studentstatus.render_certificates",
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def render_certificates(certificate_ids: list[int]) -> int:
    """Register and render a batch of graduation certificates; returns how many were rendered now."""
    return sum(graduation.certificate_render(certificate_id=pk) for pk in certificate_ids)


@shared_task(name="studentstatus.requeue_certificates", acks_late=True)
def requeue_certificates() -> int:
    return graduation.certificates_requeue()


@shared_task(name="studentstatus.flag_overdue_steps", acks_late=True)
def flag_overdue_steps() -> int:
    """Flag the transfers whose current step is overdue and tell the bureau (once per step)."""
    return transfers.transfers_flag_overdue()
