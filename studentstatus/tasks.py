"""Thin tasks: load by ID, call a service. Idempotent, ``acks_late``; queued only after commit."""

from celery import shared_task

from studentstatus.services import graduation, transfers


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
