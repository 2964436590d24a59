import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from payments.billing import kindergarten_bills_issue
from portal.orgs.models import District


class Command(BaseCommand):
    help = (
        "Issue a month's kindergarten care bills (保育费) to every child with a kindergarten place. "
        "Idempotent: a child already billed for the month is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="the month billed, YYYY-MM")
        parser.add_argument("--district", help="only this district (code, e.g. 330411)")

    def handle(self, *args, month, district=None, **options):
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise CommandError(f"--month {month!r} is not YYYY-MM") from None
        found = None
        if district:
            found = District.objects.filter(code=district).first()
            if found is None:
                raise CommandError(f"no district with code {district}")
        run = kindergarten_bills_issue(year=first.year, month=first.month, district=found)
        self.stdout.write(run.summary())
        for reference_no in run.no_fee_item:
            self.stderr.write(
                f"no active kindergarten care fee item for {reference_no}'s kindergarten or district"
            )
        for error in run.errors:
            self.stderr.write(error)
