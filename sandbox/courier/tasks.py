"""The courier stand-in's callback task (registered with Celery when the sandbox's models load)."""

from celery import shared_task

MAX_RETRIES = 6


@shared_task(name="sandbox.courier.deliver", bind=True, acks_late=True, max_retries=MAX_RETRIES)
def deliver(self, notification_id: int) -> str:
    """Send one status callback; without an answer (or on a 5xx) send it again 5 s, 10 s, 20 s … later.
    Run eagerly (tests) it is tried once; the admin delivers it again."""
    from sandbox.courier.delivery import send

    result = send(notification_id)
    if result == "retry" and self.request.retries < MAX_RETRIES and not self.request.is_eager:
        raise self.retry(countdown=5 * 2**self.request.retries)
    return result
