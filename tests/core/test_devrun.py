"""`make run` (issue 13 item 7): the supervisor portal/core/devrun.py starts the dev server, waits until it
answers, prints the demo accounts, starts the Celery worker and beat only then, and stops everything
within 10 s on SIGTERM; the favicon is served."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal.core.demo_accounts import DEMO_PARENT, STAFF, accounts_text
from portal.core.devrun import banner, port_answers

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", 0))
        except OSError:
            pytest.skip("cannot bind a local port")
        return sock.getsockname()[1]


def test_the_printout_has_what_a_tester_needs():
    text = banner("http://127.0.0.1:8000")
    assert DEMO_PARENT["child_id_number"] in text and DEMO_PARENT["phone"] in text
    assert "http://127.0.0.1:8000/sandbox/sms/ " in text
    assert "?phone=" not in text  # no phone number in a URL
    for username, password, *_ in STAFF:
        assert username in text and password in text


def test_the_demo_parent_printed_is_the_demo_family_of_the_registry():
    registry = json.loads((ROOT / "portal/core/demo/registry.json").read_text(encoding="utf-8"))
    people = {p["id_number"]: p for p in registry["persons"]}
    parent = people[DEMO_PARENT["id_number"]]
    assert (parent["name"], parent["phone"]) == (DEMO_PARENT["name"], DEMO_PARENT["phone"])
    child = people[DEMO_PARENT["child_id_number"]]
    assert (child["name"], child["birth_date"]) == (DEMO_PARENT["child_name"], DEMO_PARENT["child_born"])
    assert people[DEMO_PARENT["other_guardian_id_number"]]["name"] == DEMO_PARENT["other_guardian"]


@pytest.mark.django_db
def test_seed_demo_prints_the_child_id_number_and_the_phone(capsys):
    from django.core.management import call_command

    call_command("seed_demo", households=0, force=True)
    out = capsys.readouterr().out
    assert accounts_text() in out
    assert DEMO_PARENT["child_id_number"] in out and DEMO_PARENT["phone"] in out


@pytest.mark.django_db
def test_favicon_is_linked_and_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response.url.startswith("/static/") and "favicon" in response.url
    assert 'rel="icon"' in client.get("/").content.decode()
    assert (ROOT / "static/favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_the_run_supervisor_starts_in_order_and_stops_within_10_seconds_on_sigterm(tmp_path):
    """The embedded defaults in a VAR_DIR of the test's own; runserver without the autoreloader (the
    process-group stop covers the reloader too, but polling the tree costs the shared cores)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "CACHE_URL"))}
    env |= {"VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "True"}
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal.core.devrun", "--port", str(port), "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    output = tmp_path / "run.log"
    try:
        deadline = time.monotonic() + 25
        while "celery@" not in output.read_text() or "beat: Starting" not in output.read_text():
            assert proc.poll() is None, output.read_text()[-3000:]
            assert time.monotonic() < deadline, output.read_text()[-3000:]
            time.sleep(0.2)
        assert port_answers("127.0.0.1", port)
        text = output.read_text()
        # the accounts are printed once the server answers, and the worker starts after that
        assert DEMO_PARENT["child_id_number"] in text and DEMO_PARENT["phone"] in text
        assert text.index(DEMO_PARENT["child_id_number"]) < text.index("celery@")
        time.sleep(1.5)  # the worker and beat well into their loops

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=12)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    assert took < 10, f"stopping took {took:.1f} s"
    assert proc.returncode == 0
    assert not port_answers("127.0.0.1", port)
    assert not _processes_with(f"VAR_DIR={tmp_path / 'var'}".encode()), "processes left running"


def _processes_with(marker: bytes) -> list[str]:
    """Processes whose environment holds ``marker`` (the server, worker, its pool and beat all do)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(environ.parent.name)
        except OSError:
            continue
    return found
