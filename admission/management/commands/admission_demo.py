"""Demo set-up for `make run`: the 2027 admission rounds of a district (no seed yet: the bureau publishes
it on the round page) and its early-warning settings. Idempotent."""

from django.core.management.base import BaseCommand, CommandError

from admission.models import EarlyWarningSettings
from admission.services import round_for
from portal.orgs.models import District, Stage


class Command(BaseCommand):
    help = "Open the admission rounds of a district for a year (demo data)."

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True)
        parser.add_argument("--year", type=int, default=2027)

    def handle(self, *args, district, year, **options):
        found = District.objects.filter(code=district).first()
        if found is None:
            raise CommandError(f"no district {district}")
        for stage in Stage.values:
            round_for(district=found, year=year, stage=stage)
        EarlyWarningSettings.objects.get_or_create(district=found)
        self.stdout.write(f"admission rounds {year} open for {found.code}: /admission/rounds/ (bureau)")
