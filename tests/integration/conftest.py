"""A real Celery worker process on Redis against the test's PostgreSQL database.

When CI=true an unreachable Redis or a non-PostgreSQL database fails these tests instead of skipping them:
CI must prove the real stack, not a warm developer machine.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"integration stack unavailable in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def real_stack(transactional_db):
    if connection.vendor != "postgresql":
        _unavailable("integration tests need DATABASE_URL on PostgreSQL")
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith("redis"):
        _unavailable("integration tests need CELERY_BROKER_URL on Redis")
    try:
        redis.Redis.from_url(broker, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis at {broker} unreachable: {exc}")
    return broker


class WorkerProcess:
    def __init__(
        self,
        *,
        broker: str,
        queue: str,
        site_url: str,
        log_path: Path,
        concurrency: int = 2,
        extra_env: dict | None = None,
    ):
        self.broker, self.queue, self.site_url, self.log_path = broker, queue, site_url, log_path
        self.concurrency, self.extra_env = concurrency, dict(extra_env or {})
        self.proc: subprocess.Popen | None = None

    def env(self) -> dict:
        db = connection.settings_dict
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            DATABASE_URL=(
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
            ),
            CELERY_BROKER_URL=self.broker,
            CELERY_TASK_DEFAULT_QUEUE=self.queue,
            SITE_URL=self.site_url,
            SANDBOX_BASE_URL=f"{self.site_url}/sandbox/",
            CONN_MAX_AGE="0",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 40.0) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-Q",
                self.queue,
                f"--concurrency={self.concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
                "-n",
                f"{self.queue}@%h",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-2000:]}")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready in {timeout}s: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
            subprocess.run(["pkill", "-9", "-f", f"-Q {self.queue}"], check=False)  # prefork children

    def crash(self) -> list[int]:
        """SIGKILL the worker and its prefork children at once, by process id (a crash: nothing is
        acknowledged, nothing is cleaned up). Returns the killed process ids."""
        from tests.integration.faults import kill_tree

        if not self.proc or self.proc.poll() is not None:
            return []
        pids = kill_tree(self.proc.pid)
        self.proc.wait(10)
        return pids

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def celery_worker_process(real_stack, live_server, tmp_path, settings):
    """Start a worker on a queue of its own; the web side (sandbox stand-ins) is the live server."""
    queue = f"it-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    # the web side's clients must call the live server too (these settings derive from SITE_URL at start-up)
    settings.SITE_URL = live_server.url
    settings.SANDBOX_BASE_URL = sandbox = f"{live_server.url}/sandbox/"
    settings.IDP_URL = f"{sandbox}idp/person/"
    settings.SMS_GATEWAY_URL = f"{sandbox}sms/send/"
    settings.EXCHANGE_BASE_URL = f"{sandbox}exchange/"
    worker = WorkerProcess(
        broker=real_stack, queue=queue, site_url=live_server.url, log_path=tmp_path / "w.log"
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        celery_app.conf.task_default_queue = previous


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
