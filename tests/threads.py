"""Running test code in several threads at once, each on its own database connection."""

import threading

from django.db import connections


def run_in_threads(target, count: int, *, timeout: float = 60) -> list[BaseException]:
    """Run ``target()`` in ``count`` threads and wait for them; what they raised, for the caller to assert
    empty. Each thread closes its database connections when done. Make them meet with a
    ``threading.Barrier(count)`` in ``target`` where the race should start."""
    errors: list[BaseException] = []

    def run():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors
