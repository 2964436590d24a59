"""``manage.py allocate --year 2027 --stage primary [--district CODE] [--seed S] [--dry-run]``
(contracts/api-enrollment.md): admit qualified applications to schools, zone first, then redistribution."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from admission import services
from admission.models import RunStatus
from enrollment.models import Application, State
from portal.orgs.models import District, Stage


class Command(BaseCommand):
    help = "Allocate seats to qualified applications (zone first, then redistribution to the nearest school)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--stage", required=True, choices=Stage.values)
        parser.add_argument(
            "--district", help="district code (default: every district with qualified applications)"
        )
        parser.add_argument(
            "--seed", help="the lottery seed (published before the draw; must match a published one)"
        )
        parser.add_argument("--dry-run", action="store_true", help="show the result, write nothing")

    def handle(self, *args, year, stage, district, seed, dry_run, **options):
        if district:
            districts = list(District.objects.filter(code=district))
            if not districts:
                raise CommandError(f"no district {district}")
        else:
            ids = (
                Application.objects.filter(year=year, stage=stage, state=State.QUALIFIED)
                .values_list("case__district_id", flat=True)
                .distinct()
            )
            districts = list(District.objects.filter(pk__in=set(ids)))
            if not districts:
                self.stdout.write(f"no qualified {stage} applications for {year}: nothing to allocate")
                return
        for d in districts:
            self._one(d, year, stage, seed, dry_run)

    def _one(self, district, year, stage, seed, dry_run):
        try:
            round_ = services.round_for(district=district, year=year, stage=stage)
            run = services.allocation_start(round_=round_, by=None, dry_run=dry_run, seed=seed, queue=False)
            run = services.allocation_execute(run_id=run.pk)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
        if run.status != RunStatus.DONE:
            raise CommandError(run.error or "the allocation failed")
        s = run.summary
        kind = "DRY RUN (nothing written)" if dry_run else "allocation"
        self.stdout.write(f"{district.code} {year} {stage}: {kind} #{run.pk}, seed {run.seed}")
        self.stdout.write(f"{'school':<12}{'free':>8}{'zone':>8}{'redist':>8}{'left':>8}")
        for row in s["schools"]:
            self.stdout.write(
                f"{row['code']:<12}{row['free_before']:>8}{row['zone']:>8}{row['redistributed']:>8}{row['free_after']:>8}"
            )
        c = s["counts"]
        self.stdout.write(
            f"applicants {s['applicants']}: zone {c['zone']}, redistributed {c['redistributed']}, "
            f"waiting {c['waiting']}; result digest {run.result_sha256}"
        )
        if not dry_run:
            if round_.notice_working_days == 0:
                done = services.finalise_all_due()
                self.stdout.write(f"no public notice configured: finalised {done}")
            else:
                self.stdout.write(
                    f"on public notice for {round_.notice_working_days} working days; the applications show "
                    "admitted when it ends (manage.py admission_finalise, or the hourly job)"
                )
        self.stdout.write(self.style.SUCCESS("done"))
