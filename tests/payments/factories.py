"""Factories for payments tests: fee items with a trait per kind, orders with a trait per state."""

import factory

from payments.models import Billing, FeeItem, FeeKind, Order
from tests.factories import DistrictFactory


class FeeItemFactory(factory.django.DjangoModelFactory):
    """``FeeItemFactory(exam=True)``; the default is a district-wide monthly kindergarten care fee."""

    class Meta:
        model = FeeItem

    code = factory.Sequence(lambda n: f"fee-{n}")
    name = "保育费"
    kind = FeeKind.KINDERGARTEN_CARE
    billing = Billing.MONTHLY
    district = factory.SubFactory(DistrictFactory)
    amount_fen = 68000  # ¥680.00
    days_to_pay = 15
    billed_months = "1-7,9-12"
    legal_basis = "浙价费〔2024〕18号"

    class Params:
        exam = factory.Trait(
            name="初中学业水平考试报名考试费", kind=FeeKind.EXAM, billing=Billing.ONE_OFF, amount_fen=14050
        )


class OrderFactory(factory.django.DjangoModelFactory):
    """``OrderFactory(paid=True)``: a bill already in a state, for tests of what a state allows (the
    transition table, the pages). Issued by ``order_issue`` (a FEE case is opened for it); only the
    protected ``state`` and its bookkeeping are then written with ``update()`` — test set-up, never in
    production code. Workflow tests reach a state through the services."""

    class Meta:
        model = Order
        skip_postgeneration_save = True

    class Params:
        paid = factory.Trait(target_state="paid")
        partly_refunded = factory.Trait(target_state="partly_refunded")
        refunded = factory.Trait(target_state="refunded")
        expired = factory.Trait(target_state="expired")
        closed = factory.Trait(target_state="closed")

    target_state = "created"
    fee_item = factory.SubFactory(FeeItemFactory, exam=True)
    payer = factory.SubFactory("tests.factories.UserFactory")
    subject_name = "王小𬌗"

    @classmethod
    def _create(
        cls, model_class, *args, target_state="created", fee_item=None, payer=None, subject_name="", **kw
    ):
        import datetime as dt

        from django.utils import timezone

        from payments.services import order_issue

        order = order_issue(fee_item=fee_item, payer=payer, subject_name=subject_name, **kw)
        now = timezone.now()
        amount = order.amount_fen
        fields = {
            "created": {},
            "paid": {"paid_fen": amount},
            "partly_refunded": {"paid_fen": amount, "refunded_fen": amount // 2},
            "refunded": {"paid_fen": amount, "refunded_fen": amount},
            "expired": {"closed_at": now, "expires_at": now - dt.timedelta(days=1)},
            "closed": {"closed_at": now},
        }[target_state]
        if "paid_fen" in fields:
            fields.update(
                paid_at=now,
                paid_via="notification",
                platform_trade_no=f"T{order.pk:012d}",
                receipt_no=f"{now:%Y}{order.district.code}{order.pk:010d}",
            )
        model_class.objects.filter(pk=order.pk).update(state=target_state, **fields)
        return model_class.objects.get(pk=order.pk)
