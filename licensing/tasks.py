"""Thin tasks: load by ID, call a service. Idempotent."""

from celery import shared_task

from licensing import services


@shared_task(name="licensing.flag_overdue", acks_late=True)
def flag_overdue() -> dict:
    """The daily sweep: department reviews and supplements past their due date are flagged and messaged
    once."""
    return services.flag_overdue()
