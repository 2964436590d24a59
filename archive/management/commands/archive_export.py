"""``manage.py archive_export REF DIR``: copy a package's files (document, attachments, manifest) into
DIR, e.g. for transfer to the archives (移交) or for ``archive_verify DIR`` elsewhere. DIR must be empty or
not exist yet; the package itself is only read."""

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive import selectors
from archive.services import package_folder


class Command(BaseCommand):
    help = "Write an archive package's files to a folder."

    def add_arguments(self, parser):
        parser.add_argument("ref", help="archival code or case reference number")
        parser.add_argument("dir", help="target folder (created; must be empty)")

    def handle(self, *args, ref: str, dir: str, **options):
        package = selectors.find_package(ref)
        if package is None:
            raise CommandError(f"{ref}: no such archival code or case reference")
        target = Path(dir)
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise CommandError(f"{target} exists and is not an empty folder")
        source = package_folder(package)
        if not source.is_dir():
            raise CommandError(f"{package.archival_code}: the package folder {source} is missing")
        target.mkdir(parents=True, exist_ok=True)
        count = 0
        for path in sorted(source.rglob("*")):
            if path.is_file():
                destination = target / path.relative_to(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)  # contents only: the copy is an ordinary, writable file
                count += 1
        self.stdout.write(self.style.SUCCESS(f"{package.archival_code}: {count} file(s) written to {target}"))
