"""Demo data for `make run` (called by seed_demo): the district's fee items and one unpaid kindergarten
care bill for the demo parent, so that /payments/ shows a bill to pay through the sandbox platform."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from payments.billing import billing_key
from payments.models import Billing, FeeItem, FeeKind, Order
from payments.services import order_issue
from portal.accounts.models import Role, User
from portal.cases.services import local_today
from portal.core import pii
from portal.orgs.models import District, School, Stage

# the demo parent of portal/core/demo/registry.json and his younger child
PARENT = {"phone": "13800000001", "real_name": "王𠈌", "id_number": "330411198803120318"}
CHILD = {"name": "王小妍", "id_number": "330411202401050643"}
FEE_ITEMS = [
    # code, name, kind, billing, amount (fen), basis
    (
        "330411-KG-CARE",
        "幼儿园保育费",
        FeeKind.KINDERGARTEN_CARE,
        Billing.MONTHLY,
        68000,
        "嘉价费〔2024〕18号",
    ),
    (
        "330411-EXAM-ZK",
        "初中学业水平考试报名考试费",
        FeeKind.EXAM,
        Billing.ONE_OFF,
        14000,
        "浙价费〔2019〕112号",
    ),
]


class Command(BaseCommand):
    help = "Demo fee items and an unpaid bill for the demo parent (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--district", default="330411")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, district, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("payments_demo writes demo bills; refusing with DEBUG off")
        found = District.objects.filter(code=district).first()
        if found is None:
            raise CommandError(f"no district with code {district}; load it with load_schools first")
        with transaction.atomic():
            for code, name, kind, billing, amount, basis in FEE_ITEMS:
                FeeItem.objects.get_or_create(
                    code=code,
                    defaults={
                        "name": name,
                        "kind": kind,
                        "billing": billing,
                        "district": found,
                        "amount_fen": amount,
                        "legal_basis": basis,
                    },
                )
            parent = self._parent()
        care = FeeItem.objects.get(code=FEE_ITEMS[0][0])
        today = local_today()
        period = f"{today:%Y-%m}"
        key = billing_key(care.kind, pii.keyed_hash(CHILD["id_number"]), period)
        order = Order.objects.filter(billing_key=key).first()
        if order is None:
            order = order_issue(
                fee_item=care,
                payer=parent,
                subject_name=CHILD["name"],
                subject_id_number=CHILD["id_number"],
                school=School.objects.filter(district=found, stage=Stage.KINDERGARTEN)
                .order_by("code")
                .first(),
                period=period,
                billing_key=key,
                title=f"{today.year}年{today.month}月{care.name}",
            )
        self.stdout.write(
            f"payments: {len(FEE_ITEMS)} fee items; bill {order.order_no} ({order.title}, "
            f"{order.get_state_display()}) for the demo parent at /payments/"
        )

    def _parent(self) -> User:
        """The demo parent's citizen account, as his first sign-in would create it (the real-name check
        then finds it by phone and refreshes it)."""
        user = User.objects.filter(phone=PARENT["phone"]).first()
        if user is None:
            user = User.objects.filter(id_number_hash=pii.keyed_hash(PARENT["id_number"])).first() or User(
                username=User.new_citizen_username(), role=Role.CITIZEN
            )
            user.phone = PARENT["phone"]
            user.set_unusable_password()
        if user.role != Role.CITIZEN:
            raise CommandError(f"{PARENT['phone']} belongs to a staff account")
        user.real_name, user.id_number = PARENT["real_name"], PARENT["id_number"]
        user.real_name_verified_at = user.real_name_verified_at or timezone.now()
        user.save()
        return user
