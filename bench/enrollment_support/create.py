"""Submit a slice of the verification families' applications through the real service (setup of part b).

    DJANGO_SETTINGS_MODULE=bench.enrollment_support.settings … \\
        python -m bench.enrollment_support.create --families verify.json --start 0 --stop 5000 --threads 4 \\
            [--deadline EPOCH_SECONDS]

Each application goes through ``enrollment.services.application_submit`` — validation, the guardian's
authorisations, the child and guardianship look-ups at the sandbox exchange, the case, the application and
its verification task queued after commit (to ``CELERY_TASK_DEFAULT_QUEUE``, where the benchmark's worker
will find it). This is set-up, not a measured figure, so it takes one shortcut the project provides for
exactly this: ``portal.core.http.set_transport`` installs ONE pooled ``httpx.HTTPTransport`` for the
process, instead of a new client (and TLS context) per look-up — the requests still go over a socket to the
sandbox's gunicorn. With ``--deadline`` no new submission starts after that time (``time.time()``), so
the benchmark's set-up stays within its time limit. Prints ``{"created", "failed", "seconds", "errors"}``.
"""

import argparse
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=Path, required=True)
    parser.add_argument("--start", type=int, required=True)
    parser.add_argument("--stop", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--deadline", type=float, default=0.0)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.enrollment_support.settings")
    import django

    django.setup()
    import httpx
    from django.db import connections

    from enrollment.services import application_submit
    from portal.accounts.models import User
    from portal.core import http

    families = json.loads(args.families.read_text(encoding="utf-8"))[args.start : args.stop]
    guardians = User.objects.in_bulk([f["guardian_id"] for f in families])
    http.set_transport(httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=args.threads)))
    errors: list[str] = []

    def submit(chunk: list[dict]) -> int:
        done = 0
        try:
            for family in chunk:
                if args.deadline and time.time() >= args.deadline:
                    break
                answers = {k: v for k, v in family["body"].items() if k != "sibling_reference_no"}
                try:
                    application_submit(guardian=guardians[family["guardian_id"]], **answers)
                    done += 1
                except Exception as exc:  # noqa: BLE001 - reported, and the benchmark counts what exists
                    errors.append(f"family {family['index']}: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()
        return done

    started = time.perf_counter()
    chunks = [families[k :: args.threads] for k in range(args.threads)]
    with ThreadPoolExecutor(args.threads) as pool:
        created = sum(pool.map(submit, chunks))
    print(
        json.dumps(
            {
                "created": created,
                "failed": len(errors),
                "seconds": round(time.perf_counter() - started, 2),
                "errors": errors[:5],
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
