"""Demo data for `make run` (called by seed_demo after the registries are loaded): which departments
review which kind, the periods, the demo parent as the representative of a private school in the
market-regulation registry, a white and a black list entry, and an inspector pool with a campaign to draw."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from licensing.models import InspectionCampaign, Inspector, LicensingSettings, ListEntry, ReviewDepartment
from portal.orgs.models import Department, District

DEMO = Path(__file__).resolve().parents[2] / "demo"
PER_KIND = {
    "preparation": ["FIRE", "HOUSING"],
    "establishment": ["MARKET", "CIVIL", "FIRE", "ENV", "HOUSING"],
    "change": ["MARKET", "CIVIL"],
    "termination": ["CIVIL"],
}


class Command(BaseCommand):
    help = "Private-school licensing demo data."

    def add_arguments(self, parser):
        parser.add_argument("--district", default="330411")

    def handle(self, *args, district, **options):
        district = District.objects.get(code=district)
        LicensingSettings.objects.get_or_create(district=district)
        departments = {d.code: d for d in Department.objects.all()}
        for kind, codes in PER_KIND.items():
            for code in codes:
                if code in departments:
                    ReviewDepartment.objects.get_or_create(
                        kind=kind, department=departments[code], defaults={"working_days": 5}
                    )
        ListEntry.objects.get_or_create(
            list_kind="white",
            credit_code="52330411MJ0000002H",
            defaults={
                "name": "嘉兴市秀洲区星辰培训学校",
                "reason": "2025年度年检优秀，办学行为规范",
                "source": "秀洲区教育局",
                "starts_on": dt.date(2026, 1, 1),
            },
        )
        ListEntry.objects.get_or_create(
            list_kind="black",
            credit_code="52330411MJ0000003L",
            defaults={
                "name": "嘉兴市秀洲区某某艺术培训中心",
                "reason": "未经审批擅自招生，抽逃办学资金",
                "source": "秀洲区教育局",
                "starts_on": dt.date(2026, 3, 1),
                "ends_on": dt.date(2029, 2, 28),
            },
        )
        inspectors = [
            Inspector.objects.get_or_create(code=f"JC{i:03d}", defaults={"name": name})[0]
            for i, name in enumerate(["周检查", "吴检查", "郑检查", "冯检查"], start=1)
        ]
        campaign, _ = InspectionCampaign.objects.get_or_create(
            district=district, name="2026年民办学校双随机抽查（演示）", defaults={"share_percent": 50}
        )
        campaign.inspectors.add(*inspectors)
        if settings.SANDBOX_ENABLED:
            call_command("load_registry", str(DEMO / "registry.json"), stdout=self.stdout)
        self.stdout.write(
            "licensing: parent 13800000001 applies at /licensing/apply/ for 52330411MJ0000001E "
            "(嘉兴市秀洲区启明𠈌学校); bureau at /licensing/bureau/, "
            "reviewer (消防) at /licensing/department/; "
            "public lists at /licensing/lists/, inspections at /licensing/inspections/"
        )
