"""manage.py load_registry FILE.json — load records into the stand-in registries.

The format is contracts/registry-fixture.md.

Additive: a record whose key exists replaces the old one. The whole file is validated first; one bad record
(wrong check digit, unknown key, unknown reference …) rejects the file with a message naming it, and nothing
is written.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sandbox.registry.loader import FixtureError, load


class Command(BaseCommand):
    help = (
        "Load a registry fixture (contracts/registry-fixture.md) into the sandbox registries, all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the JSON fixture")

    def handle(self, *args, file, **options):
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        except ValueError as exc:
            raise CommandError(f"{file} is not valid JSON: {exc}") from exc
        try:
            counts = load(data)
        except FixtureError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        summary = ", ".join(f"{n} {section}" for section, n in counts.items()) or "nothing"
        self.stdout.write(self.style.SUCCESS(f"Loaded {summary} from {file}."))
