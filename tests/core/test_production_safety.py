"""Production settings keep the sandbox off and shared state shared (issue 13, items 8 and 12)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
    env.pop("SANDBOX_ENABLED", None)
    env.update(
        DEBUG="False",
        SECRET_KEY="x" * 20 + Fernet.generate_key().decode(),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        PII_HASH_KEY="a-long-random-production-hash-key",
        EXCHANGE_APP_SECRET="s1",
        SMS_GATEWAY_KEY="s2",
        IDP_APP_SECRET="s3",
        ALLOWED_HOSTS="edu.example.gov.cn",
        CACHE_URL="redis://127.0.0.1:6379/0",
    )
    env.update(overrides)
    return env


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_sandbox_is_off_by_default_without_debug():
    code = (
        "from django.conf import settings; "
        "print(settings.SANDBOX_ENABLED, 'sandbox' in settings.INSTALLED_APPS)"
    )
    result = run(
        [
            "-c",
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; "
            f"django.setup(); {code}",
        ],
        production_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_check_deploy_reports_an_error_when_the_sandbox_is_on_without_debug():
    result = run(["manage.py", "check", "--deploy"], production_env(SANDBOX_ENABLED="True"))
    assert result.returncode != 0
    assert "portal.E001" in result.stderr + result.stdout
    assert "SANDBOX_ENABLED" in result.stderr + result.stdout


def test_check_deploy_passes_with_the_sandbox_off():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_reports_an_error_for_a_per_process_cache():
    result = run(["manage.py", "check", "--deploy"], production_env(CACHE_URL="locmemcache://portal"))
    assert result.returncode != 0
    assert "portal.E002" in result.stderr + result.stdout


# --- the nonce store across processes -------------------------------------------------------------------

NONCE_RACE = """
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
django.setup()
from payments.notifications import nonce_first_use
start, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
while not os.path.exists(start):
    time.sleep(0.005)
print(" ".join("1" if nonce_first_use(f"{prefix}-{i}") else "0" for i in range(count)))
"""


def race_two_processes(tmp_path, cache_url: str, count: int = 50) -> list[list[int]]:
    """Two portal processes see the same notifications (the platform retries at once, or an eavesdropper
    replays one to another web process): each asks the nonce store about the same nonces at the same time."""
    start = tmp_path / "go"
    env = {**os.environ, "CACHE_URL": cache_url, "DEBUG": "True"}
    prefix = f"race-{os.getpid()}-{tmp_path.name}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", NONCE_RACE, str(start), prefix, str(count)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(3)  # both have imported Django and wait for the start signal
    start.touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append([int(x) for x in out.split()])
    return outputs


def test_a_replay_to_another_process_is_caught_with_the_shared_store(tmp_path):
    from tests.integration.faults import PrivateRedis

    try:
        redis_server = PrivateRedis().start()
    except RuntimeError as exc:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(str(exc))
    try:
        first, second = race_two_processes(tmp_path, redis_server.db_url(1))
    finally:
        redis_server.stop()
    assert [a + b for a, b in zip(first, second, strict=True)] == [1] * 50  # each nonce accepted exactly once


def test_a_per_process_store_lets_the_replay_through(tmp_path):
    """Why portal.E002 is an error: with the default per-process cache both processes accept every nonce."""
    first, second = race_two_processes(tmp_path, "locmemcache://portal", count=5)
    assert first == second == [1] * 5
