"""cProfile of the portal's side of each request to one path, for the submit breakdown.

Enabled in a benchmark server by ``BENCH_PROFILE_OUT=<file>`` (bench settings add this middleware first):
every request whose path starts with ``BENCH_PROFILE_PATH`` is profiled, after the first
``BENCH_PROFILE_SKIP`` (lazy imports, URL resolver, connections), and the accumulated statistics are written
to the file — with the number of profiled requests in ``<file>.count`` — every ``BENCH_PROFILE_EVERY``
requests, so that a server stopped by a signal still leaves them. The clock is the thread's CPU time
(``time.thread_time``): waiting for PostgreSQL, Redis or the registry costs nothing, so the figures are the
portal's own machine time, whatever else the machine is doing. Meant for a server with one worker and one
thread (cProfile profiles the thread that enabled it).
"""

import cProfile
import os
import threading
import time
from pathlib import Path

_lock = threading.Lock()


class ProfileMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.out = os.environ["BENCH_PROFILE_OUT"]
        self.path = os.environ.get("BENCH_PROFILE_PATH", "/api/v1/enrollment/applications/")
        self.every = int(os.environ.get("BENCH_PROFILE_EVERY", "25"))
        self.skip = int(os.environ.get("BENCH_PROFILE_SKIP", "10"))
        self.profile = cProfile.Profile(time.thread_time)
        self.seen = self.count = 0

    def __call__(self, request):
        if not request.path.startswith(self.path):
            return self.get_response(request)
        self.seen += 1
        if self.seen <= self.skip:
            return self.get_response(request)
        with _lock:
            self.profile.enable()
            try:
                return self.get_response(request)
            finally:
                self.profile.disable()
                self.count += 1
                if self.count % self.every == 0:
                    self.profile.dump_stats(self.out)
                    Path(self.out + ".count").write_text(str(self.count))


def breakdown(stats_file: str, top: int = 25) -> dict:
    """Where the profiled requests spent their CPU time: own time summed by area (the package a function
    is in), and the functions with the most cumulative time, each per request in milliseconds."""
    import pstats

    requests = int(Path(stats_file + ".count").read_text())
    stats = pstats.Stats(stats_file)
    areas: dict[str, float] = {}
    rows = []
    for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
        area = _area(filename)
        areas[area] = areas.get(area, 0.0) + tottime
        rows.append((cumtime, f"{_short(filename)}:{line}({name})"))
    rows.sort(reverse=True)
    per = 1000.0 / max(1, requests)
    return {
        "requests": requests,
        "cpu_ms_per_request": round(stats.total_tt * per, 2),
        "own_ms_per_request_by_area": {
            k: round(v * per, 2) for k, v in sorted(areas.items(), key=lambda kv: -kv[1])
        },
        "top_cumulative_ms_per_request": [[name, round(cum * per, 2)] for cum, name in rows[:top]],
    }


_AREAS = (
    ("/enrollment/", "enrollment"),
    ("/admission/", "admission"),
    ("/portal/", "portal kernel"),
    ("/exchange/", "exchange client"),
    ("/rest_framework/", "django rest framework"),
    ("/django_fsm", "django-fsm"),
    ("/django/db/", "django ORM"),
    ("/django/", "django (other)"),
    ("/psycopg2/", "psycopg2"),
    ("/httpx/", "httpx"),
    ("/httpcore/", "httpcore"),
    ("/cryptography/", "cryptography"),
    ("/celery/", "celery"),
    ("/kombu/", "kombu"),
    ("/redis/", "redis"),
)


def _area(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "C built-ins (database driver, sockets, json, hashing …)"
    for needle, label in _AREAS:
        if needle in filename:
            return label
    return "python stdlib and other"


_ROOT = str(Path(__file__).resolve().parents[2]) + os.sep


def _short(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    return filename.removeprefix(_ROOT)
