"""Demo set-up for `make run`: one running public notice (公示) of a district — an aid list of three
pupils, names masked — so that a newcomer can open /notices/, object as the demo parent and answer as
bureau staff at /notices/objections/. Idempotent (source ``demo``)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases.models import Channel
from portal.catalog.models import ServiceItem
from portal.notices.models import Notice
from portal.notices.services import notice_publish
from portal.orgs.models import District

PUPILS = (("陈小𠀀", "三年级", "一档"), ("林晓雨", "五年级", "二档"), ("欧阳明月", "二年级", "一档"))


class Command(BaseCommand):
    help = "Publish a demo public notice (公示) in a district (demo data)."

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True)
        parser.add_argument("--service", default="AID", help="catalogue item of the notice (default AID)")

    def handle(self, *args, district, service, **options):
        found = District.objects.filter(code=district).first()
        item = ServiceItem.objects.filter(code=service).first()
        if found is None or item is None:
            raise CommandError(f"no district {district} or no service item {service}")
        if Notice.objects.filter(source="demo", district=found).exists():
            self.stdout.write("demo public notice already published: /notices/")
            return
        school = found.schools.filter(stage="primary").order_by("code").first()
        family, _created = User.objects.get_or_create(
            username="notice-demo-family", defaults={"role": Role.CITIZEN, "real_name": "演示家庭"}
        )
        with transaction.atomic():
            entries = []
            for name, grade, level in PUPILS:
                case = cases.case_open(
                    service=item,
                    applicant=family,
                    subject_name=name,
                    channel=Channel.COUNTER,
                    district=found,
                    school=school,
                )
                fields = {
                    "name": name,
                    "school": school.name if school else "",
                    "grade": grade,
                    "level": level,
                }
                entries.append((case, fields))
            notice = notice_publish(
                service=item,
                title="家庭经济困难学生资助名单公示（演示）",
                entries=entries,
                period_working_days=5,
                by=None,
                district=found,
                source="demo",
            )
        self.stdout.write(
            f"public notice until {notice.ends_on}: /notices/{notice.pk}/ (objections by the parent)"
        )
