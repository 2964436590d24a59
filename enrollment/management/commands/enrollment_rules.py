from django.core.management.base import BaseCommand, CommandError

from enrollment.selectors import ensure_default_rules
from portal.orgs.models import District, Stage


class Command(BaseCommand):
    help = "Create a district's enrollment rules for a year from the defaults (existing ones are kept)."

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="district code, e.g. 330411")
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args, district, year, **options):
        found = District.objects.filter(code=district).first()
        if found is None:
            raise CommandError(f"no district with code {district}; load it with load_schools first")
        if not 2000 <= year <= 2100:
            raise CommandError(f"{year} is not an entry year")
        for stage in Stage.values:
            rules = ensure_default_rules(district=found, year=year, stage=stage)
            self.stdout.write(f"{rules}: {rules.tiers.count()} tiers")
