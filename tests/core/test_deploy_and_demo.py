import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from portal.accounts.models import Role, User
from portal.orgs.models import School
from tests.core.test_production_safety import production_env

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_without_warnings():
    # shared nonce store and rate limits (portal.E002)
    env = production_env(SANDBOX_ENABLED="False", CACHE_URL="redis://127.0.0.1:6379/1")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS"}}
    env["DEBUG"] = "False"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_seed_demo_loads_a_district_and_demo_accounts_and_can_run_twice(capsys):
    call_command("seed_demo", households=20, seed=1, force=True)
    call_command("seed_demo", households=0, seed=1, force=True)
    out = capsys.readouterr().out
    assert School.objects.filter(district__code="330411").count() >= 6
    assert {s.stage for s in School.objects.all()} == {"kindergarten", "primary", "junior"}
    assert all(s.zone.exists() for s in School.objects.all())
    assert User.objects.get(username="clerk").role == Role.CLERK
    assert User.objects.get(username="clerk").check_password("Demo-clerk-2027")
    assert "Demo-bureau-2027" in out and "13800000001" in out
    # the demo parent can sign in: the synthetic population did not replace the demo family
    from sandbox.models import Person

    assert Person.objects.get(phone="13800000001").name == "王𠈌"


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    """Every API view describes itself to drf-spectacular (a warning fails the command)."""
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/enrollment/applications/" in out.read_text(encoding="utf-8")


def test_docker_compose_runs_the_whole_stack_with_every_production_secret():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    for name in ("web", "worker", "beat", "migrate"):
        environment = services[name]["environment"]
        assert environment["DEBUG"] == "False"
        for secret in (
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "PII_HASH_KEY",
            "EXCHANGE_APP_SECRET",
            "SMS_GATEWAY_KEY",
            "IDP_APP_SECRET",
            "PAYMENT_APP_SECRET",
            "PAYMENT_NOTIFY_SECRET",
        ):
            assert f"${{{secret}:?" in environment[secret], f"{name}: {secret} must be required"
        # every process seals archive packages with the one key mounted as a secret
        assert environment["ARCHIVE_SIGNING_KEY_FILE"] == "/run/secrets/archive_signing_key"
        assert "archive_signing_key" in services[name]["secrets"]
    assert "${ARCHIVE_SIGNING_KEY_PATH:?" in compose["secrets"]["archive_signing_key"]["file"]
