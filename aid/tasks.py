"""Thin tasks: load by ID, call a service. Idempotent; queued only after commit."""

from celery import shared_task

from aid import services


@shared_task(
    name="aid.verify_application",
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def verify_application(application_id: int) -> str:
    return services.application_verify(application_id=application_id)


@shared_task(name="aid.sweep", acks_late=True)
def sweep() -> dict:
    """Applications waiting for a registry are checked again (then go to the school); notices that are
    over send their cases to the bureau."""
    return services.applications_sweep()
