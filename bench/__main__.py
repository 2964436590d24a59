"""Run every ``bench/bench_*.py`` module (or those named on the command line) and record the results.

Each module exposes ``run() -> dict`` returning JSON-serialisable measurements (say ``{"docs_per_s": 2.2}``).
Results are printed and written to ``bench-results/results.json`` (latest run) and to a timestamped copy
next to it, so runs on the same machine can be compared. Django is set up first, so a benchmark can use
the ORM, templates and the Celery app exactly as the portal does.

    python -m bench              # all modules
    python -m bench pdf exchange # bench_pdf.py and bench_exchange.py only
"""

import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
RESULTS_DIR = PACKAGE_DIR.parent / "bench-results"


def discover(selected: list[str]) -> list[str]:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(PACKAGE_DIR)])
        if info.name.startswith("bench_") and not info.ispkg
    )
    if selected:
        wanted = {s if s.startswith("bench_") else f"bench_{s}" for s in selected}
        unknown = wanted - set(names)
        if unknown:
            raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {', '.join(names)}")
        names = [n for n in names if n in wanted]
    return names


def main(argv: list[str]) -> int:
    names = discover(argv)
    if not names:
        print("Nothing to measure yet: add bench/bench_<name>.py modules exposing run() -> dict.")
        return 0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()

    started = datetime.now(UTC)
    results: dict[str, dict] = {}
    failed = 0
    for name in names:
        print(f"--- {name}", flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            outcome = module.run()
            if not isinstance(outcome, dict):
                raise TypeError(f"{name}.run() returned {type(outcome).__name__}, expected dict")
        except Exception:  # one broken benchmark must not hide the others
            failed += 1
            outcome = {"error": traceback.format_exc(limit=5)}
        outcome.setdefault("wall_s", round(time.perf_counter() - t0, 3))
        results[name] = outcome
        print(json.dumps(outcome, ensure_ascii=False, indent=2, default=str), flush=True)

    report = {
        "timestamp": started.isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "database": _database_vendor(),
        "results": results,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
    (RESULTS_DIR / "results.json").write_text(text, encoding="utf-8")
    (RESULTS_DIR / f"results-{started:%Y%m%dT%H%M%SZ}.json").write_text(text, encoding="utf-8")
    print(f"Wrote {RESULTS_DIR / 'results.json'} ({len(results)} benchmark(s), {failed} failed).")
    return 1 if failed else 0


def _database_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
