"""Thin, idempotent tasks (CELERY_BEAT_SCHEDULE): the sweep catches up with bills whose signal was lost
(paid → enrolled, expired → seat released), and term end closes programmes."""

from celery import shared_task

from afterschool import services


@shared_task(name="afterschool.sweep", acks_late=True)
def sweep() -> dict:
    return services.applications_sweep()


@shared_task(name="afterschool.close_ended_terms", acks_late=True)
def close_ended_terms() -> int:
    return services.programs_close_ended()
