"""Thin tasks: load by ID, call a service. Idempotent; queued only after commit."""

from celery import shared_task

from enrollment import services


@shared_task(
    name="enrollment.verify_application",
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def verify_application(application_id: int) -> str:
    return services.application_verify(application_id=application_id)


@shared_task(name="enrollment.requeue_stuck", acks_late=True)
def requeue_stuck() -> int:
    return services.requeue_stuck()
