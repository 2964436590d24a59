"""Demo data for `make run` (called by seed_demo): this year's aid schemes of the district — 家庭经济困难
学生资助 with three levels and a rule per qualification, and the 普惠性幼儿园 subsidy at its default 200 元 —
and, with the sandbox, the demo parent's two pupils: 王小睿 (低保, so the parent can apply at /aid/apply/
and see 一档 proposed) and 王小满 (a disability certificate; the finder — `manage.py aid_invite` once the
portal runs — invites the parent: 我的邀请)."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from aid.models import LevelRule, Scheme, SchemeKind, SchemeLevel
from aid.services import scheme_ensure_defaults
from portal.cases.services import local_today
from portal.core import pii
from portal.orgs.models import District, School

DEMO = Path(__file__).resolve().parents[2] / "demo"
PARENT_ID = "330411198803120318"
PUPILS = [("330411201809100718", "王小睿", 2), ("330411201604200512", "王小满", 4)]
LEVELS = [("1", "一档", 250000), ("2", "二档", 150000), ("3", "三档", 100000)]
RULES = {"tekun": "1", "dibao": "1", "orphan": "1", "disability": "2", "dibian": "3", "other": "3"}


class Command(BaseCommand):
    help = "Student aid demo data: schemes, two pupils in the registries, one invitation."

    def add_arguments(self, parser):
        parser.add_argument("--district", default="330411")

    def handle(self, *args, district, **options):
        district = District.objects.get(code=district)
        today = local_today()
        with transaction.atomic():
            hardship, created = Scheme.objects.get_or_create(
                code=f"KN-{today.year}",
                defaults={
                    "name": "家庭经济困难学生资助",
                    "kind": SchemeKind.HARDSHIP,
                    "district": district,
                    "stages": "primary,junior",
                    "year": today.year,
                    "opens_on": today - dt.timedelta(days=14),
                    "closes_on": today + dt.timedelta(days=90),
                    "budget_fen": 50_000_000,
                },
            )
            if created:
                levels = {
                    code: SchemeLevel.objects.create(scheme=hardship, level=code, name=name, amount_fen=fen)
                    for code, name, fen in LEVELS
                }
                for qualification, code in RULES.items():
                    LevelRule.objects.create(scheme=hardship, qualification=qualification, level=levels[code])
            kindergarten, _ = Scheme.objects.get_or_create(
                code=f"PH-{today.year}",
                defaults={
                    "name": "普惠性幼儿园保育教育费补助",
                    "kind": SchemeKind.KINDERGARTEN,
                    "district": district,
                    "stages": "kindergarten",
                    "year": today.year,
                    "opens_on": today - dt.timedelta(days=14),
                    "closes_on": today + dt.timedelta(days=90),
                    "budget_fen": 5_000_000,
                },
            )
            scheme_ensure_defaults(scheme=kindergarten)
        if settings.SANDBOX_ENABLED:
            self._pupils(district)
        self.stdout.write(
            f"aid: schemes {hardship.code}, {kindergarten.code}; parent 13800000001 applies for 王小睿 "
            "(330411201809100718) at /aid/apply/ and is invited for 王小满 (/my/invitations/); clerk reviews "
            "at /aid/school/, bureau decides at /aid/bureau/, pays at /aid/batches/, figures at /aid/figures/"
        )

    def _pupils(self, district):
        from portal.accounts.models import User
        from portal.cases.services import case_open
        from portal.catalog.models import ServiceItem
        from studentstatus.models import StudentRecord
        from studentstatus.services import record_enrol

        call_command("load_registry", str(DEMO / "registry.json"), stdout=self.stdout)
        school = School.objects.filter(code="P001").first()
        parent = User.objects.filter(id_number_hash=pii.keyed_hash(PARENT_ID)).first()
        if school is None or parent is None:
            self.stdout.write("aid: no school P001 or no demo parent; pupils not enrolled")
            return
        today = local_today()
        for id_number, name, grade in PUPILS:
            record, _ = record_enrol(
                id_number=id_number,
                name=name,
                school=school,
                stage="primary",
                entry_year=today.year - grade + (1 if today.month >= 9 else 0),
                grade=grade,
            )
            if id_number == PUPILS[1][0] and record.source_case_id is None:
                # the finder invites the guardian it knows: the one who enrolled the child (demo: a case)
                case = case_open(
                    service=ServiceItem.objects.get(code="ENR"),
                    applicant=parent,
                    subject_name=name,
                    subject_id_number=id_number,
                    channel="counter",
                    district=district,
                    school=school,
                    note="演示：既往入学",
                )
                StudentRecord.objects.filter(pk=record.pk).update(source_case=case)
        self.stdout.write(
            "aid: the finder (应助尽助) runs nightly against the sandbox; with `make run` up, run it now "
            "with "
            "`.venv/bin/python manage.py aid_invite` and 王小满's guardian is invited"
        )
