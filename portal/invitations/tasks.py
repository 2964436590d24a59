"""Periodic jobs (CELERY_BEAT_SCHEDULE): run the finders, close expired invitations. Both idempotent."""

from celery import shared_task

from portal.invitations import services


@shared_task(name="invitations.run_finders", acks_late=True)
def invitations_run_finders() -> dict:
    return services.invitations_run_finders()


@shared_task(name="invitations.expire_due", acks_late=True)
def expire_due() -> int:
    return services.invitations_expire_due()
