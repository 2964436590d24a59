"""Demo data for `make run` (called by seed_demo): an after-school care fee and a programme with three
leave-time slots at every primary school of the district, open for applications now, and — with the
sandbox on — the demo parent's older child 王小睿 in the registries, and his student record (学籍) as a
grade-2 pupil of 实验小学 (P001) on the studentstatus platform.
Idempotent."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from afterschool.models import Program, ProgramSlot
from payments.models import Billing, FeeItem, FeeKind
from portal.cases.services import local_today
from portal.orgs.models import District, Stage
from studentstatus.services import record_enrol

DEMO = Path(__file__).resolve().parents[2] / "demo"
DEMO_PUPIL = {
    "id_number": "330411201809100718",
    "name": "王小睿",
    "school_code": "P001",
    "grade": 2,
    "class_name": "二(3)班",
}
SLOTS = (("16:30", 40), ("17:30", 30), ("18:00", 2))  # the last one nearly full: try the waitlist


def _term(today: dt.date) -> tuple[str, dt.date, dt.date]:
    """The coming (or current) term: spring from March, autumn from September."""
    if 3 <= today.month <= 7:
        return f"{today.year - 1}学年第二学期", dt.date(today.year, 3, 2), dt.date(today.year, 7, 3)
    year = today.year if today.month >= 8 else today.year - 1
    if today.month <= 2:
        return f"{year}学年第二学期", dt.date(today.year, 3, 2), dt.date(today.year, 7, 3)
    return f"{year}学年第一学期", dt.date(year, 9, 1), dt.date(year + 1, 1, 22)


class Command(BaseCommand):
    help = "Demo after-school programmes at the primary schools (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--district", default="330411")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, district, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("afterschool_demo writes demo programmes; refusing with DEBUG off")
        found = District.objects.filter(code=district).first()
        if found is None:
            raise CommandError(f"no district with code {district}; load it with load_schools first")
        today = local_today()
        term, starts, ends = _term(today)
        made = 0
        with transaction.atomic():
            for school in found.schools.filter(stage=Stage.PRIMARY).order_by("code"):
                fee, _ = FeeItem.objects.get_or_create(
                    code=f"{school.code}-ASC",
                    defaults={
                        "name": "课后托管服务费",
                        "kind": FeeKind.AFTERSCHOOL_CARE,
                        "billing": Billing.ONE_OFF,
                        "district": found,
                        "school": school,
                        "amount_fen": 90000,
                        "days_to_pay": 7,
                        "legal_basis": "嘉价费〔2023〕9号",
                    },
                )
                program, created = Program.objects.get_or_create(
                    school=school,
                    term=term,
                    name="课后托管",
                    defaults={
                        "term_starts": starts,
                        "term_ends": ends,
                        "grades": "1-6",
                        "weekdays": "1-5",
                        "fee_item": fee,
                        "applications_open": today - dt.timedelta(days=7),
                        "applications_close": max(today + dt.timedelta(days=60), starts),
                        "teachers": "周老师、吴老师",
                        "description": "放学后在校看护、作业辅导和兴趣活动，按所选离校时段由家长接回。",
                    },
                )
                made += created
                for leave_at, capacity in SLOTS:
                    ProgramSlot.objects.get_or_create(
                        program=program, leave_at=leave_at, defaults={"capacity": capacity}
                    )
        self.stdout.write(f"after-school care: {made} programmes created for {term}")
        school = found.schools.filter(code=DEMO_PUPIL["school_code"]).first()
        if school is not None:  # the demo pupil's 学籍 on the studentstatus platform (unchanged if there)
            record_enrol(
                id_number=DEMO_PUPIL["id_number"],
                name=DEMO_PUPIL["name"],
                school=school,
                stage=Stage.PRIMARY,
                entry_year=starts.year - DEMO_PUPIL["grade"] + (1 if starts.month >= 9 else 0),
                grade=DEMO_PUPIL["grade"],
                class_name=DEMO_PUPIL["class_name"],
                note="afterschool_demo",
            )
        if settings.SANDBOX_ENABLED:
            call_command("load_registry", str(DEMO / "registry.json"), stdout=self.stdout)
