from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from admission.excel import ZoneFileError, import_zones


class Command(BaseCommand):
    help = (
        "Import attendance-zone lists (施教区) from an Excel file: "
        "school_code, community_code, community_name, lat, lng."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            summary = import_zones(data)
        except ZoneFileError as exc:
            raise CommandError(f"nothing imported: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"zones of {summary.schools} schools replaced: "
                f"{summary.communities} communities ({summary.created} new)"
            )
        )
