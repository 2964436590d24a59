"""Run the invitation finders now (the beat job runs them nightly): aid's 应助尽助 scan among them. Needs the
exchange (in development the sandbox of a running portal). Running it twice invites nobody twice."""

from django.core.management.base import BaseCommand

from portal.invitations.services import invitations_run_finders


class Command(BaseCommand):
    help = "Run the proactive finders (aid's 应助尽助 scan) now."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, year, **options):
        self.stdout.write(f"invitations: {invitations_run_finders(year=year)}")
