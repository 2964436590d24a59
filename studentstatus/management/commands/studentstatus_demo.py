"""Demo data for `make run` (called by seed_demo, after the registries): the demo parent's older child
王小睿 (the after-school care pupil) on the roll of 实验小学 (P001) in grade 2, with

- a suspension (休学) of 6 months with its hospital certificate, under the school's review — sign in as
  ``clerk`` to approve it, then as ``bureau``;
- a correction (信息更正) of his name to a value the 户籍 does not hold — the worker's check sends it to
  the school, which sees the registry's value.

Both are taken at the school's counter (一窗受理: the clerk has seen the originals), so no registry needs to
answer while the server is not yet listening; the correction's 户籍 check runs in the worker. Idempotent."""

import io

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.accounts.models import Role, User
from portal.core import pii
from portal.core.demo_accounts import DEMO_PARENT
from portal.orgs.models import School, Stage
from studentstatus.models import Correction, Suspension
from studentstatus.services import record_by_id_number, record_enrol
from studentstatus.services.corrections import correction_apply
from studentstatus.services.suspensions import certificate_attach, suspension_apply

PUPIL = {
    "id_number": "330411201809100718",
    "name": "王小睿",
    "school": "P001",
    "grade": 2,
    "entry_year": 2025,
}


def _certificate_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "诊断证明书（演示）"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _parent() -> User:
    """The demo parent's citizen account (as the first sign-in by phone would create it)."""
    p = DEMO_PARENT
    user = User.objects.filter(id_number_hash=pii.keyed_hash(p["id_number"])).first()
    if user is None:
        user = User.objects.filter(phone=p["phone"]).first() or User(
            username=f"p{p['phone']}", role=Role.CITIZEN
        )
        user.phone = p["phone"]
        user.real_name, user.id_number = p["name"], p["id_number"]
        user.real_name_verified_at = timezone.now()
        user.set_unusable_password()
        user.save()
    return user


class Command(BaseCommand):
    help = "Student status demo: a pupil with a suspension and a correction under review (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--district", default="330411")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, district, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("studentstatus_demo writes demo cases; refusing with DEBUG off")
        school = School.objects.filter(code=PUPIL["school"], district__code=district).first()
        clerk = User.objects.filter(role=Role.CLERK, school=school, is_active=True).order_by("pk").first()
        if school is None or clerk is None:
            raise CommandError(f"no school {PUPIL['school']} with a clerk in district {district}")
        parent = _parent()
        record = record_by_id_number(PUPIL["id_number"])
        if record is None:  # once only: enrolling again would undo a suspension approved meanwhile
            record, _changed = record_enrol(
                id_number=PUPIL["id_number"],
                name=PUPIL["name"],
                school=school,
                stage=Stage.PRIMARY,
                entry_year=PUPIL["entry_year"],
                grade=PUPIL["grade"],
                class_name="二（3）班",
                note="演示数据",
            )
        if not Suspension.objects.filter(record=record).exists():
            suspension = suspension_apply(
                guardian=parent,
                student_id_number=PUPIL["id_number"],
                months=6,
                reason="肺炎住院治疗，医嘱居家休养六个月（演示）",
                clerk=clerk,
            )
            certificate_attach(
                obj=suspension,
                by=clerk,
                kind="hospital_certificate",
                uploaded_file=SimpleUploadedFile("诊断证明书.pdf", _certificate_pdf()),
            )
            self.stdout.write(f"student status: suspension {suspension.case.reference_no} awaits the school")
        if not Correction.objects.filter(record=record).exists():
            correction = correction_apply(
                guardian=parent,
                student_id_number=PUPIL["id_number"],
                field="name",
                new_value="王晓睿",
                clerk=clerk,
            )
            self.stdout.write(
                f"student status: correction {correction.case.reference_no} (户籍 check in the worker)"
            )
