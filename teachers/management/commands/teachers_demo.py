"""Demo data for `make run` (called by seed_demo after the registries are loaded): the stage
requirements, an application window open now, the demo parent's teacher records (degree, exam pass,
Mandarin, medical) so he can apply and be approved at once, and a teacher reaching 30 years of service
this year, offered the honour."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from portal.cases.services import local_today
from portal.orgs.models import District
from teachers.checks import DEFAULT_MIN_DEGREE
from teachers.models import ApplicationWindow, StageRequirement

DEMO = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Teacher certificates and honours demo data."

    def add_arguments(self, parser):
        parser.add_argument("--district", default="330411")

    def handle(self, *args, district, **options):
        district = District.objects.get(code=district)
        for stage, degree in DEFAULT_MIN_DEGREE.items():
            StageRequirement.objects.get_or_create(stage=stage, defaults={"min_degree": degree})
        today = local_today()
        ApplicationWindow.objects.get_or_create(
            district=district,
            name=f"{today.year}年教师资格认定（演示）",
            defaults={"opens_on": today - dt.timedelta(days=7), "closes_on": today + dt.timedelta(days=60)},
        )
        if settings.SANDBOX_ENABLED:
            call_command("load_registry", str(DEMO / "registry.json"), stdout=self.stdout)
            from portal.invitations.services import invitations_run_finders

            counts = invitations_run_finders(year=today.year)
            self.stdout.write(f"honours offered: {counts}")
        self.stdout.write(
            "teachers: parent 13800000001 may apply at /teachers/apply/ "
            "(初中 语文, JS20263304110318, PTH3304112026318, TJ2026-0318); "
            "bureau reviews at /teachers/review/"
        )
