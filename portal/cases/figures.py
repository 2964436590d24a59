"""Reform figures (改革成效): per catalogue item and in total, computed from the case registry.

Everything is counted in the database with grouped aggregates (one query per kind of figure, whatever the
number of cases); only the median duration reads one pair of dates per decided case, since SQLite has no
median. The cases counted are those *accepted* in the date range, in the user's scope.

- visits per case: ``Case.visits`` (跑动次数) summed / cases;
- zero-visit share: cases with no visit; fully online: channel online and no visit;
- materials fetched rather than uploaded: materials the portal fetched from a registry (counters that
  apps register here — the exchange counts each distinct successful look-up of a case) against materials
  the applicant or a clerk uploaded (one per case and material kind, however often replaced);
- on-time rate: decided cases (done or rejected) closed, in the bureau's time zone, on or before their
  deadline. The stored deadline already carries the working days the clock stood still: each pause adds
  its working days when it ends, and closing a case during a pause ends it (``compute_deadline``).
  Withdrawn cases are nobody's decision and are not counted;
- median duration: calendar days (自然日) from acceptance to closing, of the decided cases;
- ratings (好差评): count and average level 1–5.
"""

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import CharField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat, TruncDate

from portal.cases.models import Attachment, Case, CaseStatus, Channel, Rating
from portal.cases.scoping import scope_cases
from portal.catalog.models import ServiceItem

DECIDED = [CaseStatus.DONE, CaseStatus.REJECTED]

# name → counter(cases) → {service_id: materials fetched}; registered by apps (the exchange) in ready()
_FETCHED: dict[str, Callable[[QuerySet[Case]], dict[int, int]]] = {}


def register_fetched_materials(name: str, counter: Callable[[QuerySet[Case]], dict[int, int]]) -> None:
    """Declare a source of materials the portal fetched for cases instead of having them uploaded.
    ``counter`` receives the cases counted and answers materials fetched per service item id, in one
    aggregate query."""
    _FETCHED[name] = counter


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    code: str
    name: str
    cases: int = 0
    visits: int = 0
    zero_visit: int = 0
    fully_online: int = 0
    fetched: int = 0
    uploaded: int = 0
    decided: int = 0
    on_time: int = 0
    durations: list[int] = field(default_factory=list, repr=False)
    ratings: int = 0
    rating_sum: int = 0

    @property
    def visits_per_case(self) -> float | None:
        return _share(self.visits, self.cases)

    @property
    def zero_visit_share(self) -> float | None:
        return _share(self.zero_visit, self.cases)

    @property
    def fully_online_share(self) -> float | None:
        return _share(self.fully_online, self.cases)

    @property
    def fetched_share(self) -> float | None:
        return _share(self.fetched, self.fetched + self.uploaded)

    @property
    def on_time_rate(self) -> float | None:
        return _share(self.on_time, self.decided)

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.durations) if self.durations else None

    @property
    def rating_average(self) -> float | None:
        return _share(self.rating_sum, self.ratings)


@dataclass
class FiguresReport:
    items: list[Figures]
    total: Figures
    date_from: dt.date | None
    date_to: dt.date | None


def counted_cases(user, *, date_from: dt.date | None = None, date_to: dt.date | None = None):
    qs = scope_cases(user, Case.objects.all())
    if date_from:
        qs = qs.filter(accepted_on__gte=date_from)
    if date_to:
        qs = qs.filter(accepted_on__lte=date_to)
    return qs


def reform_figures(
    user, *, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> FiguresReport:
    """The figures of the cases ``user`` may see that were accepted in [date_from, date_to]."""
    from portal.cases.services import BUREAU_TZ

    cases = counted_cases(user, date_from=date_from, date_to=date_to)
    ids = cases.values("pk")
    closed_on = TruncDate("closed_at", tzinfo=BUREAU_TZ)
    decided = Q(status__in=DECIDED, closed_at__isnull=False, deadline__isnull=False)
    rows = (
        cases.order_by()
        .annotate(closed_on=closed_on)
        .values("service_id")
        .annotate(
            n=Count("pk"),
            visit_sum=Sum("visits"),
            zero=Count("pk", filter=Q(visits=0)),
            online=Count("pk", filter=Q(visits=0, channel=Channel.ONLINE)),
            decided=Count("pk", filter=decided),
            on_time=Count("pk", filter=decided & Q(closed_on__lte=F("deadline"))),
        )
    )
    by_service: dict[int, Figures] = {}
    items = {item.pk: item for item in ServiceItem.objects.order_by("order", "code")}

    def figures_of(service_id: int) -> Figures:
        if service_id not in by_service:
            item = items[service_id]
            by_service[service_id] = Figures(code=item.code, name=item.name)
        return by_service[service_id]

    for row in rows:
        f = figures_of(row["service_id"])
        f.cases, f.visits, f.zero_visit, f.fully_online = (
            row["n"],
            row["visit_sum"] or 0,
            row["zero"],
            row["online"],
        )
        f.decided, f.on_time = row["decided"], row["on_time"]

    material = Concat(Cast("case_id", CharField()), Value(":"), "kind")
    uploads = (
        Attachment.objects.filter(case__in=ids)
        .order_by()
        .values("case__service_id")
        .annotate(n=Count(material, distinct=True))
    )
    for row in uploads:
        figures_of(row["case__service_id"]).uploaded = row["n"]
    for counter in _FETCHED.values():
        for service_id, n in counter(cases.filter(pk__in=ids)).items():
            figures_of(service_id).fetched += n

    ratings = (
        Rating.objects.filter(case__in=ids)
        .order_by()
        .values("case__service_id")
        .annotate(n=Count("pk"), total=Sum("level"))
    )
    for row in ratings:
        f = figures_of(row["case__service_id"])
        f.ratings, f.rating_sum = row["n"], row["total"] or 0

    durations = (
        cases.filter(status__in=DECIDED, closed_at__isnull=False)
        .order_by()
        .annotate(closed_on=closed_on)
        .values_list("service_id", "accepted_on", "closed_on")
    )
    for service_id, accepted_on, closed in durations:
        figures_of(service_id).durations.append((closed - accepted_on).days)

    ordered = [by_service[pk] for pk in items if pk in by_service]
    total = Figures(code="", name="")
    for f in ordered:
        for name in ("cases", "visits", "zero_visit", "fully_online", "fetched", "uploaded", "decided"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
        total.on_time += f.on_time
        total.ratings += f.ratings
        total.rating_sum += f.rating_sum
        total.durations += f.durations
    return FiguresReport(items=ordered, total=total, date_from=date_from, date_to=date_to)
