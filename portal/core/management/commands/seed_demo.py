"""Demo data for `make run`: one district with schools and attendance zones, a registry population in the
sandbox, and demo accounts for a parent, a clerk, bureau staff, a department reviewer and an auditor.

Idempotent: running it again updates the same records. Refuses to run with DEBUG off unless --force."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.accounts.models import Role, User
from portal.catalog.registry import sync_catalog
from portal.core.demo_accounts import STAFF, accounts_text
from portal.orgs.loading import load_schools
from portal.orgs.models import Department, District, School

DEMO = Path(__file__).resolve().parents[2] / "demo"

DEPARTMENTS = [
    ("MARKET", "区市场监督管理局"),
    ("CIVIL", "区民政局"),
    ("FIRE", "区消防救援大队"),
    ("ENV", "区生态环境分局"),
    ("HOUSING", "区住房和城乡建设局"),
]


class Command(BaseCommand):
    help = "Load demo data (district, schools, registries, accounts) and print the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=300, help="synthetic households to add")
        parser.add_argument("--seed", type=int, default=2027)
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, households, seed, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo writes demo accounts with known passwords; refusing with DEBUG off")
        with transaction.atomic():
            summary = load_schools(json.loads((DEMO / "district.json").read_text(encoding="utf-8")))
            for code, name in DEPARTMENTS:
                Department.objects.update_or_create(code=code, defaults={"name": name})
            for row in STAFF:
                self._staff(*row)
            sync_catalog()
        self.stdout.write(
            f"district {summary.district}: {summary.schools} schools, {summary.communities} communities"
        )

        commands = get_commands()
        if "enrollment_rules" in commands:  # service apps add their demo set-up by command, not by import
            call_command("enrollment_rules", district="330411", year=2027, stdout=self.stdout)
        if "admission_demo" in commands:  # admission rounds and early-warning settings
            call_command("admission_demo", district="330411", year=2027, stdout=self.stdout)
        if "notices_demo" in commands:  # a running public notice (公示) to object to
            call_command("notices_demo", district="330411", stdout=self.stdout)
        if "payments_demo" in commands:  # fee items and an unpaid bill for the demo parent
            call_command("payments_demo", district="330411", force=force, stdout=self.stdout)
        if settings.SANDBOX_ENABLED and "load_registry" in commands:
            # the synthetic population first: seeding replaces the registries; the demo family goes on top
            if "seed_registries" in commands and households:
                call_command("seed_registries", households=households, seed=seed, stdout=self.stdout)
            call_command("load_registry", str(DEMO / "registry.json"), stdout=self.stdout)
            if "teachers_demo" in commands:  # windows, requirements, teacher records, an honour offered
                call_command("teachers_demo", district="330411", stdout=self.stdout)
            if "licensing_demo" in commands:  # departments per kind, lists, inspectors, a private school
                call_command("licensing_demo", district="330411", stdout=self.stdout)
        else:
            self.stdout.write("sandbox registries not available: no registry population loaded")
        if "afterschool_demo" in commands:  # programmes at the primary schools; the parent's pupil (after
            # the registries, which seeding replaced)
            call_command("afterschool_demo", district="330411", force=force, stdout=self.stdout)
        if "studentstatus_demo" in commands:  # 学籍: a suspension and a correction under the school's review
            call_command("studentstatus_demo", district="330411", force=force, stdout=self.stdout)

        self.stdout.write("\n" + accounts_text())
        self.stdout.write(
            "  after-school care: pupil 王小睿 at 实验小学, ID 330411201809100718 (/afterschool/)"
        )

    def _staff(self, username, password, role, _label, real_name, binding) -> User:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.real_name = real_name
        user.is_staff = True
        if role is None:
            user.is_superuser, user.role = True, Role.BUREAU
            binding = {"district": "330411"}
        else:
            user.role = Role(role)
        user.school = School.objects.get(code=binding["school"]) if "school" in binding else None
        user.district = District.objects.get(code=binding["district"]) if "district" in binding else None
        user.department = (
            Department.objects.get(code=binding["department"]) if "department" in binding else None
        )
        user.set_password(password)
        user.save()
        return user
