"""Prepare the benchmark database (run as a separate process on it, with the benchmark's settings).

    DJANGO_SETTINGS_MODULE=bench.enrollment_support.settings DATABASE_URL=postgres://…/portal_bench \\
        python -m bench.enrollment_support.prepare --submit-families 4000 --verify-families 10000 --out DIR

Migrates, builds the fault test's world (district, zoned schools, 2027 primary rules), loads the registry
records of ``submit + verify`` families with ``load_registry``'s loader, creates each applying parent's
real-name account and an API token, and creates the ceiling view's table. Writes to DIR:

- ``submit.json``: ``[{"token", "body"}]`` of the first families — the load generator's requests;
- ``verify.json``: ``[{"index", "kind", "expect", "tier", "guardian_id", "body"}]`` of the others.
"""

import argparse
import json
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submit-families", type=int, required=True)
    parser.add_argument("--verify-families", type=int, required=True)
    parser.add_argument("--seed", type=int, default=20270601)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.enrollment_support.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from bench.enrollment_support.views import CREATE_TABLE_SQL
    from tests.integration import faults

    timings = {}
    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate_s"] = time.perf_counter() - t

    t = time.perf_counter()
    faults.build_world()
    total = args.submit_families + args.verify_families
    data, families = faults.population(total, seed=args.seed)
    counts = faults.load_population(data)
    timings["registries_s"] = time.perf_counter() - t

    t = time.perf_counter()
    guardians = faults.create_guardians(families)
    Token.objects.bulk_create(
        [Token(key=Token.generate_key(), user=guardians[f.index]) for f in families], batch_size=1000
    )
    tokens = dict(Token.objects.values_list("user_id", "key"))
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE_SQL)
    timings["accounts_s"] = time.perf_counter() - t

    args.out.mkdir(parents=True, exist_ok=True)
    submit = [
        {"token": tokens[guardians[f.index].pk], "body": f.request_body()}
        for f in families[: args.submit_families]
    ]
    verify = [
        {
            "index": f.index,
            "kind": f.kind,
            "expect": f.expect,
            "tier": f.tier,
            "guardian_id": guardians[f.index].pk,
            "body": f.request_body(),
        }
        for f in families[args.submit_families :]
    ]
    (args.out / "submit.json").write_text(json.dumps(submit, ensure_ascii=False), encoding="utf-8")
    (args.out / "verify.json").write_text(json.dumps(verify, ensure_ascii=False), encoding="utf-8")
    print(
        json.dumps(
            {
                "families": total,
                "registry_records": counts,
                **{k: round(v, 1) for k, v in timings.items()},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
