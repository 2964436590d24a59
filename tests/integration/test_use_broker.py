"""``faults.use_broker`` hands the process its own broker back in working order: tests that run after the
fault test in the same process queue their tasks as before (CI once failed three of them with "Acquire on
closed pool")."""

import shutil
import uuid

import pytest
import redis
from django.conf import settings

from portal.celery import app as celery_app
from tests.integration import faults
from tests.integration.conftest import _unavailable


def _queue_one(queue: str) -> None:
    celery_app.send_task("portal.nonexistent.task", queue=queue, routing_key=queue)


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_the_broker_and_its_pools_come_back_after_use_broker(tmp_path):
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith("redis"):
        _unavailable("needs CELERY_BROKER_URL on Redis")
    if shutil.which("redis-server") is None:
        _unavailable("redis-server is not installed")
    queue = f"pool-{uuid.uuid4().hex[:8]}"
    home = redis.Redis.from_url(broker)
    try:
        _queue_one(queue)  # the process's pools exist, bound to the home broker
        private = faults.PrivateRedis(log_path=tmp_path / "redis.log").start()
        try:
            with faults.use_broker(private.url):
                _queue_one(queue)
                assert private.client().llen(queue) == 1
        finally:
            private.stop()
        _queue_one(queue)  # raised "Acquire on closed pool" before the registry was reset
        assert home.llen(queue) == 2
    finally:
        home.delete(queue)
