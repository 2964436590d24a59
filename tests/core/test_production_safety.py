"""Production settings keep the sandbox off and shared state shared (issue 13, items 8 and 12)."""

import os
import subprocess
import sys
from pathlib import Path

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
