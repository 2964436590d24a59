"""manage.py seed_registries --households N --seed S — a consistent synthetic population in every registry.

Deterministic: the same arguments give the same rows. The registries are emptied first (load fixtures after
seeding, not before). Community codes come from ``--communities``, else from the portal's communities
(``orgs.Community``) when there are any, so the population lives in the district's attendance zones.
"""

import json
from collections import defaultdict
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from sandbox.registry.seeder import Generator, seed_population

DEFAULT_AREA = "330411"


def portal_communities() -> tuple[list[str], str | None]:
    """The portal's community codes and their district code, read without importing the portal's apps."""
    try:
        community = apps.get_model("orgs", "Community")
    except LookupError:
        return [], None
    rows = list(community.objects.order_by("code").values_list("code", "district__code"))
    return [code for code, _ in rows], (rows[0][1] if rows else None)


class Command(BaseCommand):
    help = "Generate a deterministic synthetic population across all sandbox registries."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument("--communities", help="comma-separated community codes (default: the portal's)")
        parser.add_argument("--area", help=f"6-digit area code of local ID numbers (default {DEFAULT_AREA})")
        parser.add_argument(
            "--year", type=int, default=2026, help="entry year the population is built around"
        )
        parser.add_argument(
            "--output", help="write the population as a registry fixture instead of loading it"
        )

    def handle(self, *args, households, seed: int, communities, area, year, output, **options):
        if households < 0:
            raise CommandError("--households must be 0 or more")
        codes = [c.strip() for c in (communities or "").split(",") if c.strip()]
        district = None
        if not codes:
            codes, district = portal_communities()
        area = area or (district if district and len(district) == 6 and district.isdigit() else DEFAULT_AREA)
        if not codes:
            codes = [f"{area}{k:03d}" for k in range(1, 13)]
        if output:
            fixture = defaultdict(list)
            for section, record in Generator(
                households=households, seed=seed, communities=codes, area=area, year=year
            ):
                fixture[section].append(record)
            Path(output).write_text(json.dumps(fixture, ensure_ascii=False, indent=1), encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Wrote {households} households to {output}."))
            return
        result = seed_population(households=households, seed=seed, communities=codes, area=area, year=year)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {households} households (seed {seed}) in {len(codes)} communities "
                f"in {result.seconds} s: "
                + ", ".join(f"{n} {name}" for name, n in result.rows.items())
                + f". Digest {result.digest}."
            )
        )
