"""Seed 100,000 households into a fresh set of tables (a throw-away database) and time it.

    python -m bench registries

``BENCH_REGISTRY_HOUSEHOLDS`` changes the size (default 100000). The database is created with all
migrations applied, seeded through the same code as ``manage.py seed_registries``, then dropped.
"""

import os
import tempfile
from pathlib import Path

HOUSEHOLDS = 100_000
SEED = 20260601


def run() -> dict:
    from django.apps import apps
    from django.db import connection

    if not apps.is_installed("sandbox"):
        return {"skipped": "SANDBOX_ENABLED is off: the stand-in registries are not installed"}
    from sandbox.registry.seeder import seed_population

    households = int(os.environ.get("BENCH_REGISTRY_HOUSEHOLDS", HOUSEHOLDS))
    communities = [f"330411{k:03d}" for k in range(1, 41)]
    original_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    original_test_name = test_settings.get("NAME")
    scratch = None
    if connection.vendor == "sqlite":
        scratch = Path(tempfile.mkdtemp(prefix="bench-registries-")) / "registries.sqlite3"
        test_settings["NAME"] = str(scratch)
    else:
        test_settings["NAME"] = f"{original_name}_bench_registries"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        result = seed_population(households=households, seed=SEED, communities=communities)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
        test_settings["NAME"] = original_test_name
        if scratch is not None:
            for leftover in scratch.parent.glob("*"):
                leftover.unlink()
            scratch.parent.rmdir()
    rows = sum(result.rows.values())
    print(
        f"seed_registries: {households:,} households, {result.rows['Person']:,} persons, {rows:,} rows "
        f"in {result.seconds:.1f} s on {connection.vendor}",
        flush=True,
    )
    return {
        "households": households,
        "seconds": result.seconds,
        "persons": result.rows["Person"],
        "rows": rows,
        "rows_per_s": round(rows / result.seconds) if result.seconds else None,
        "database": connection.vendor,
        "digest": result.digest,
    }
