"""Monthly bills: the kindergarten care fee (保育费) for every child with a kindergarten place.

A child is billed when a service registered with :func:`register_billable` says they hold a kindergarten
place (enrollment: an application ``admitted``, or ``qualified`` before the allocation ran), for the
months of the three kindergarten years — September of the entry year to July three years later — that
the fee item bills (``billed_months``). The fee item is the active
monthly kindergarten-care item of the child's kindergarten, else the district-wide one.

Issuing a month's bills is idempotent: each bill carries a billing key (fee kind, child, month) and a
child who has a bill for the month in any state — paid, unpaid, expired — is skipped, so the command or
the beat task can run any number of times (also two at once: the database keeps one live bill per key).
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from payments.models import Billing, FeeItem, FeeKind, Order
from payments.services import DuplicateBill, order_issue

log = logging.getLogger(__name__)

KINDERGARTEN_YEARS = 3


@dataclass(frozen=True)
class BillableChild:
    """A child a service says is billed a monthly fee: what the bill needs, nothing of the service."""

    case: object  # the Case the bills join (the child's application)
    payer: object  # the guardian's User
    subject_name: str
    subject_id_number: str
    subject_hash: str
    school: object | None
    entry_year: int


# fee kind → callables (district or None) → BillableChild iterables, registered by the services that hold
# the places (enrollment registers its kindergarten places from its AppConfig.ready); payments imports none
_billable: dict[str, list] = {}


def register_billable(kind: str, provider) -> None:
    """``provider(district)`` yields a :class:`BillableChild` per child billed a monthly fee of ``kind``."""
    providers = _billable.setdefault(kind, [])
    if provider not in providers:
        providers.append(provider)


@dataclass
class BillRun:
    period: str
    issued: list[str] = field(default_factory=list)  # order numbers
    already_billed: int = 0
    not_billed_this_month: int = 0
    no_fee_item: list[str] = field(default_factory=list)  # case reference numbers
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.period}: {len(self.issued)} issued, {self.already_billed} already billed, "
            f"{self.not_billed_this_month} not billed this month, "
            f"{len(self.no_fee_item)} without a fee item, "
            f"{len(self.errors)} errors"
        )


def fee_item_for(*, kind: str, district, school) -> FeeItem | None:
    """The active monthly item of ``kind`` for the school, else the district-wide one."""
    items = FeeItem.objects.filter(active=True, billing=Billing.MONTHLY, kind=kind, district=district)
    if school is not None:
        own = items.filter(school=school).order_by("pk").first()
        if own is not None:
            return own
    return items.filter(school__isnull=True).order_by("pk").first()


def billing_key(kind: str, subject_hash: str, period: str) -> str:
    return f"{kind}:{subject_hash}:{period}"


def in_kindergarten(entry_year: int, year: int, month: int) -> bool:
    """September of the entry year up to July of the year the child leaves for primary school."""
    return (
        dt.date(entry_year, 9, 1) <= dt.date(year, month, 1) <= dt.date(entry_year + KINDERGARTEN_YEARS, 7, 1)
    )


def kindergarten_children(district=None):
    """Every child with a kindergarten place, from the services that registered them."""
    for provider in _billable.get(FeeKind.KINDERGARTEN_CARE, []):
        yield from provider(district)


def kindergarten_bills_issue(*, year: int, month: int, district=None) -> BillRun:
    """Issue the kindergarten care bills of ``year``-``month`` (see the module docstring)."""
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValidationError({"period": ["Give a month as YYYY-MM."]})
    period = f"{year:04d}-{month:02d}"
    run = BillRun(period=period)
    for child in kindergarten_children(district):
        if not in_kindergarten(child.entry_year, year, month):
            run.not_billed_this_month += 1
            continue
        school = child.school
        fee_item = fee_item_for(kind=FeeKind.KINDERGARTEN_CARE, district=child.case.district, school=school)
        if fee_item is None:
            run.no_fee_item.append(child.case.reference_no)
            continue
        if month not in fee_item.months:
            run.not_billed_this_month += 1
            continue
        key = billing_key(FeeKind.KINDERGARTEN_CARE, child.subject_hash, period)
        if Order.objects.filter(billing_key=key).exists():
            run.already_billed += 1
            continue
        try:
            order = order_issue(
                fee_item=fee_item,
                payer=child.payer,
                subject_name=child.subject_name,
                subject_id_number=child.subject_id_number,
                case=child.case,
                school=school,
                period=period,
                billing_key=key,
                title=f"{year}年{month}月{fee_item.name}",
            )
        except DuplicateBill:
            run.already_billed += 1
        except ValidationError as exc:
            run.errors.append(f"{child.case.reference_no}: {'; '.join(exc.messages)}")
        else:
            run.issued.append(order.order_no)
    log.info("kindergarten bills %s", run.summary())
    return run
