"""Reads: the orders a user may see (the family's own, staff's in their scope — through the order's case,
portal.cases.scoping), one order by number (404 for anyone else's, also for a guessed number)."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from payments.models import Order, OrderState
from portal.cases.scoping import scope_cases


def orders_for_user(user) -> QuerySet[Order]:
    qs = Order.objects.select_related("fee_item", "case", "payer", "district", "school")
    return scope_cases(user, qs, case_path="case")


def order_for_user(user, order_no: str) -> Order:
    order = orders_for_user(user).filter(order_no=(order_no or "").strip().upper()).first()
    if order is None:
        raise Http404(_("No such bill."))
    return order


def bills_to_pay(user) -> QuerySet[Order]:
    return orders_for_user(user).filter(state=OrderState.CREATED).order_by("expires_at", "pk")
