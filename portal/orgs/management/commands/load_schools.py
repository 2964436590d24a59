import json

from django.core.management.base import BaseCommand, CommandError

from portal.orgs.loading import LoadError, load_schools


class Command(BaseCommand):
    help = (
        "Load a district's communities, schools, attendance zones and capacities "
        "(contracts/registry-fixture.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file} is not valid JSON: {exc}") from exc
        try:
            summary = load_schools(data)
        except LoadError as exc:
            raise CommandError(f"nothing loaded: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"district {summary.district}: {summary.communities} communities, {summary.schools} schools, "
                f"{summary.capacities} capacities loaded"
            )
        )
