"""python manage.py load_student_records FILE (CSV UTF-8 with a header row, or xlsx)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studentstatus.roster import records_load


class Command(BaseCommand):
    help = "Create or update the student records (学籍) of pupils already at school from a roster."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        result = records_load(data=path.read_bytes(), filename=path.name)
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(result.errors)} bad row(s); nothing was loaded.")
        self.stdout.write(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
