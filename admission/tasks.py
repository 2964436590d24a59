"""Thin tasks: load by ID, call a service. Idempotent; queued only after commit."""

from celery import shared_task

from admission import services


@shared_task(name="admission.execute_run", acks_late=True)
def execute_run(run_id: int) -> str:
    """An allocation or dry run (the bureau page polls its progress)."""
    return services.allocation_execute(run_id=run_id).status


@shared_task(
    name="admission.finalise_placement",
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def finalise_placement(placement_id: int) -> str:
    return services.placement_finalise(placement_id=placement_id)


@shared_task(name="admission.finalise_due", acks_late=True)
def finalise_due() -> int:
    """Beat: queue the placements whose public notice is over (each task re-checks and is idempotent)."""
    due = services.due_placements()
    for pk in due:
        finalise_placement.delay(pk)
    return len(due)
