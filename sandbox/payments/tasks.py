"""The platform stand-in's delivery task (registered with Celery when the sandbox's models load)."""

from celery import shared_task

MAX_RETRIES = 6


@shared_task(name="sandbox.payments.deliver", bind=True, acks_late=True, max_retries=MAX_RETRIES)
def deliver(self, notification_id: int) -> str:
    """Send one copy; without an answer (or on a 5xx) send it again later, 5 s, 10 s, 20 s … apart. Run
    eagerly (tests, debugging) a copy is tried once: an admin action delivers it again."""
    from sandbox.payments.delivery import send

    result = send(notification_id)
    if result == "retry" and self.request.retries < MAX_RETRIES and not self.request.is_eager:
        raise self.retry(countdown=5 * 2**self.request.retries)
    return result
