"""`make run`'s supervisor: the dev server first, the Celery worker and beat once it answers, a clean stop.

    python -m portal.core.devrun [--host 127.0.0.1] [--port 8000] [--noreload]

1. Starts ``manage.py runserver`` and waits until its port accepts connections, so no background task
   (beat fires every periodic task at start) calls the sandbox stand-ins before the server listens.
2. Prints the addresses and the demo accounts (portal/core/demo_accounts.py), then starts the worker and
   beat as two processes (beat embedded in the worker, ``-B``, makes the worker's warm shutdown wait for
   the beat process as well).
3. On Ctrl-C (SIGINT) or SIGTERM: SIGTERM to every child's process group (each child runs in a session of
   its own, so the autoreloader's server process and the worker's pool processes are reached too), a warm
   shutdown for up to ``GRACE`` seconds, then SIGKILL. With the filesystem broker the worker polls, and
   a task in flight (a registry look-up with retries) can keep a warm shutdown waiting far longer; a killed
   task's message is redelivered or re-queued by the periodic sweeper (ADR 0003), so the hard stop loses
   no work. The whole stop takes under 10 s.

No Django import here: the supervisor only starts, watches and stops processes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from portal.core.demo_accounts import accounts_text

ROOT = Path(__file__).resolve().parents[2]
GRACE = 6.0  # seconds of warm shutdown before SIGKILL (the whole stop stays under 10 s)
START_TIMEOUT = 120.0  # seconds for the dev server to answer


class Stop(Exception):
    """A stop was asked for (SIGINT / SIGTERM)."""


_stop_asked: list[int] = []


def _on_signal(signum, frame):
    _stop_asked.append(signum)  # acted on by the main loop, never in the middle of starting a child


def _check_stop() -> None:
    if _stop_asked:
        raise Stop(_stop_asked[0])


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _start(children: list, name: str, argv: list[str], env: dict) -> subprocess.Popen:
    """Start a child in a session of its own (its own process group) and record it for the stop."""
    _check_stop()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 (our own argv)
    children.append((name, proc))
    return proc


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop_all(children: list[tuple[str, subprocess.Popen]], grace: float = GRACE) -> None:
    """SIGTERM to each child's group (beat and worker first), wait up to ``grace`` s, then SIGKILL."""
    for _name, proc in reversed(children):
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(p.poll() is None for _, p in children):
        time.sleep(0.1)
    for name, proc in children:
        if proc.poll() is None:
            print(f"devrun: {name} did not stop within {grace:.0f} s; killed", file=sys.stderr, flush=True)
        _signal_group(proc, signal.SIGKILL)  # also any orphaned pool or reloader process of the group
    for _name, proc in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)


def banner(base_url: str) -> str:
    return "\n".join(
        [
            "",
            f"  Portal:      {base_url}/",
            f"  Services:    {base_url}/services/    Sign in: {base_url}/accounts/login/",
            f"  Admin:       {base_url}/admin/       API docs: {base_url}/api/docs/",
            f"  SMS sandbox: {base_url}/sandbox/sms/ (one-time codes land here)",
            "",
            accounts_text(base_url),
            "",
            "  Ctrl-C stops the web server, the Celery worker and beat.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--noreload", action="store_true", help="runserver without the autoreloader")
    args = parser.parse_args(argv)

    connect_host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host  # noqa: S104
    base_url = f"http://{connect_host}:{args.port}"
    env = dict(os.environ)
    env.setdefault("SITE_URL", base_url)  # the worker reaches the sandbox where the server really listens
    env.setdefault("PYTHONUNBUFFERED", "1")
    var_dir = Path(env.get("VAR_DIR") or ROOT / "var")
    var_dir.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "portal"]

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    children: list[tuple[str, subprocess.Popen]] = []
    try:
        server = [python, "manage.py", "runserver", f"{args.host}:{args.port}"]
        web = _start(children, "web server", server + (["--noreload"] if args.noreload else []), env)
        deadline = time.monotonic() + START_TIMEOUT
        while not port_answers(connect_host, args.port):
            if web.poll() is not None:
                print("devrun: the web server exited before it listened", file=sys.stderr, flush=True)
                return web.returncode or 1
            if time.monotonic() > deadline:
                print(f"devrun: nothing answers on {base_url} after {START_TIMEOUT:.0f} s", file=sys.stderr)
                return 1
            time.sleep(0.2)
            _check_stop()
        print(banner(base_url), flush=True)
        worker = [*celery, "worker", "--loglevel=info", "--concurrency=2", "--without-mingle"]
        _start(children, "worker", worker, env)
        beat = [*celery, "beat", "--loglevel=info", f"--schedule={var_dir / 'celerybeat-schedule'}"]
        _start(children, "beat", beat, env)
        while True:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"devrun: {name} exited ({proc.returncode}); stopping", file=sys.stderr, flush=True)
                    return proc.returncode or 1
            time.sleep(0.2)
            _check_stop()
    except Stop:
        print("\ndevrun: stopping …", file=sys.stderr, flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(children)


if __name__ == "__main__":
    sys.exit(main())
