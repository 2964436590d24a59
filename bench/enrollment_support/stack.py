"""The benchmark's child processes: gunicorn, the Celery worker and the helper programs.

Each server runs in a session of its own, so stopping it signals its process group — the master and the
workers or prefork children it started, and nothing else on the machine.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its live descendants."""
    total = 0
    for p in process_tree(pid):
        with suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


class Service:
    """A long-running child process with its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Service":
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child holds it; closed when we stop
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid) if self.alive() else 0.0

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to the process group (a warm shutdown), SIGKILL to what is left after ``timeout``."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)  # anyone left in the group (a prefork child, a gunicorn worker)?
            except ProcessLookupError:
                break
            with suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            time.sleep(0.1)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def gunicorn(name: str, *, port: int, workers: int, threads: int, env: dict, log_dir: Path) -> Service:
    argv = python(
        "-m",
        "gunicorn",
        "portal.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--keep-alive",
        "75",  # as behind a reverse proxy that keeps its upstream connections
        "--backlog",
        "256",
        "--no-control-socket",
        "--log-level",
        "warning",
    )
    return Service(name, argv, env, log_dir)


def celery_worker(*, queue: str, concurrency: int, env: dict, log_dir: Path) -> Service:
    argv = python(
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-Q",
        queue,
        "--pool",
        "prefork",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
        "-n",
        f"{queue}@%h",
    )
    return Service("worker", argv, env, log_dir)


def wait_http(url: str, service: Service, timeout: float = 60.0) -> None:
    """Until ``url`` answers at all (any HTTP status): gunicorn's workers are up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
        try:
            urllib.request.urlopen(url, timeout=5).close()  # noqa: S310 - our own server on 127.0.0.1
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(
        f"{service.name} did not answer at {url} within {timeout:.0f} s:\n{service.log_tail()}"
    )


def wait_log(service: Service, marker: bytes, timeout: float = 60.0) -> float:
    """Until ``marker`` appears in the service's log; returns the time it was seen (time.monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
        if marker in service.log_path.read_bytes():
            return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError(f"{service.name} not ready within {timeout:.0f} s:\n{service.log_tail()}")


def run_json(argv: list[str], env: dict, *, timeout: float, what: str) -> dict:
    """Run a helper program to completion and parse the JSON object on the last line of its output."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    return json.loads(lines[-1])


def run_with_cleanup(name: str, body):
    """``body()``, with SIGTERM turned into SystemExit so that its ``finally`` clean-up (servers stopped,
    database dropped) runs when the benchmark is stopped."""
    import signal

    def terminate(signum, frame):
        raise SystemExit(f"{name}: stopped by signal {signum}")

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        return body()
    finally:
        signal.signal(signal.SIGTERM, previous)
