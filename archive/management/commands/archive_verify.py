"""``manage.py archive_verify REF_OR_DIR``: the four-properties check (四性检测) of a stored package (by
archival code or case reference; the result is recorded) or of a package folder (an export). Prints one
line per check item; exits non-zero when any fails, naming the failing part."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive import selectors, services
from archive.checks import CheckReport, check_package
from archive.models import CheckTrigger


class Command(BaseCommand):
    help = "Run the four-properties check on an archive package (archival code, case reference or folder)."

    def add_arguments(self, parser):
        parser.add_argument("ref_or_dir", help="archival code, case reference number, or a package folder")

    def handle(self, *args, ref_or_dir: str, **options):
        folder = Path(ref_or_dir)
        if folder.is_dir():
            report, name = check_package(folder), str(folder)
        else:
            package = selectors.find_package(ref_or_dir)
            if package is None:
                raise CommandError(f"{ref_or_dir}: no such folder, archival code or case reference")
            check = services.package_verify(package=package, trigger=CheckTrigger.COMMAND)
            report, name = CheckReport.from_json(check.items), package.archival_code
        for item in report.items:
            mark = "ok  " if item.passed else "FAIL"
            where = f" [{item.part}]" if item.part else ""
            detail = f": {item.detail}" if item.detail else ""
            self.stdout.write(f"{mark} {item.property:<12} {item.code:<18}{where}{detail}")
        if not report.passed:
            parts = sorted({item.part or "(package)" for item in report.failures})
            raise CommandError(
                f"{name}: FAILED the four-properties check; failing part(s): {', '.join(parts)}"
            )
        self.stdout.write(self.style.SUCCESS(f"{name}: passed all {len(report.items)} check items"))
