import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from payments.reconciliation import reconcile, yesterday


class Command(BaseCommand):
    help = "Reconcile a day's payment platform statement with the portal (yesterday by default)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the statement date, YYYY-MM-DD")

    def handle(self, *args, date=None, **options):
        try:
            day = dt.date.fromisoformat(date) if date else yesterday()
        except ValueError:
            raise CommandError(f"--date {date!r} is not YYYY-MM-DD") from None
        run = reconcile(day=day)
        self.stdout.write(
            f"{run.statement_date}: {run.get_status_display()} — {run.payments} payments, "
            f"{run.refunds} refunds, {run.repaired} repaired, {run.mismatches} mismatches"
        )
        for issue in run.issues.all():
            self.stdout.write(f"  {issue.order_no or '—'}: {issue.get_kind_display()} {issue.detail}")
        if run.status == "failed":
            raise CommandError(run.error)
