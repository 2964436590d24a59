"""Thin tasks: load by ID, call a service. Idempotent; queued only after commit."""

from celery import shared_task

from teachers import services


@shared_task(
    name="teachers.verify_application",
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def verify_application(application_id: int) -> str:
    return services.certificate_verify(application_id=application_id)


@shared_task(name="teachers.requeue_stuck", acks_late=True)
def requeue_stuck() -> int:
    """The sweeper: applications still verifying ten minutes after they were made are checked again."""
    import datetime as dt

    from django.utils import timezone

    from teachers.models import CertificateApplication, CertificateState

    cutoff = timezone.now() - dt.timedelta(minutes=10)
    stuck = list(
        CertificateApplication.objects.filter(
            state=CertificateState.VERIFYING, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in stuck:
        verify_application.delay(pk)
    return len(stuck)
