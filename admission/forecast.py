"""Early warning (学位预警): projected demand for seats per school for the next entry years, against
capacity, as green / yellow / red.

Demand for entry year Y at a school = the children with 户籍 in its attendance zone who reach the entry
age by the cut-off date of Y (the district's enrollment rules, else DOMAIN.md's defaults) + the homes
bought in the zone in the last ``purchase_months`` months × ``children_per_home`` (EarlyWarningSettings).
The counts come from the data-sharing exchange's statistics interfaces (``hukou/cohort-counts``,
``property/registration-counts``): aggregate numbers per community, no personal data, so no guardian
authorisation is involved; each request is still recorded in the exchange audit (``Lookup``) with its
purpose and requester.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import pgettext_lazy

from admission.models import EarlyWarningSettings
from enrollment.models import EnrollmentRules
from exchange import sources as S
from exchange.client import call, recording
from exchange.errors import ExchangeError
from exchange.models import Lookup, Outcome, answer_digest
from portal.cases import services as cases
from portal.orgs.models import School, SchoolCapacity, Stage

DEFAULT_AGE = {Stage.KINDERGARTEN: 3, Stage.PRIMARY: 6, Stage.JUNIOR: 12}
GREEN, YELLOW, RED = "green", "yellow", "red"
LEVEL_LABELS = {
    GREEN: pgettext_lazy("early-warning level", "green"),
    YELLOW: pgettext_lazy("early-warning level", "yellow"),
    RED: pgettext_lazy("early-warning level", "red"),
}


class StatisticsUnavailable(Exception):
    """The exchange could not answer; the page says so instead of showing made-up numbers."""


@dataclass(frozen=True)
class YearForecast:
    year: int
    cohort: int
    from_purchases: Decimal
    demand: int
    seats: int
    ratio: Decimal | None
    level: str

    @property
    def level_label(self) -> str:
        """The level as a page shows it (绿 / 黄 / 红); ``level`` stays the stable key."""
        return str(LEVEL_LABELS.get(self.level, self.level))


@dataclass(frozen=True)
class SchoolForecast:
    code: str
    name: str
    communities: int
    years: tuple[YearForecast, ...]

    @property
    def worst(self) -> str:
        levels = [y.level for y in self.years]
        return RED if RED in levels else YELLOW if YELLOW in levels else GREEN


def settings_for(district) -> EarlyWarningSettings:
    found = EarlyWarningSettings.objects.filter(district=district).first()
    return found or EarlyWarningSettings(district=district)


def default_start_year(today: dt.date) -> int:
    """The coming entry year: this year until the end of August, else next year."""
    return today.year if today < dt.date(today.year, 9, 1) else today.year + 1


def _minus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def entry_window(district, stage: str, year: int) -> tuple[dt.date, dt.date]:
    """Birth dates of the children who reach the entry age by the cut-off date of ``year``."""
    rules = (
        EnrollmentRules.objects.filter(district=district, stage=stage, year__lte=year)
        .order_by("-year")
        .first()
        or EnrollmentRules.objects.filter(district=district, stage=stage).order_by("year").first()
    )
    age = rules.min_age if rules else DEFAULT_AGE[stage]
    cutoff = dt.date(year, rules.cutoff_month, rules.cutoff_day) if rules else dt.date(year, 8, 31)
    return _minus_years(cutoff, age + 1) + dt.timedelta(days=1), _minus_years(cutoff, age)


def _statistic(source: str, operation: str, payload: dict, *, requester, purpose: str) -> dict[str, int]:
    started = time.monotonic()
    failure = None
    with recording() as wire:
        try:
            data = call(source, operation, payload)
        except ExchangeError as exc:
            failure = exc
    Lookup.objects.create(
        source=source,
        operation=operation.replace("-", "_"),
        purpose=purpose[:200],
        requester=requester,
        requester_label=(
            f"{requester.get_role_display()} · {requester.display_name}" if requester else "系统 (portal)"
        )[:120],
        subject_hash="",
        subject_masked="统计（无个人信息）",
        query=payload,
        outcome=failure.outcome if failure else Outcome.OK,
        attempts=wire.attempts,
        http_status=wire.http_status,
        duration_ms=round((time.monotonic() - started) * 1000),
        answer=wire.answer,
        answer_sha256=answer_digest(wire.answer),
        error=(wire.error or (str(failure) if failure else ""))[:300],
    )
    if failure is not None:
        raise StatisticsUnavailable(f"{source}/{operation}: {failure}") from failure
    return {str(k): int(v) for k, v in (data.get("counts") or {}).items()}


def _capacity(school_id: int, year: int, caps: dict[tuple[int, int], int]) -> int:
    if (school_id, year) in caps:
        return caps[(school_id, year)]
    earlier = [y for (sid, y) in caps if sid == school_id and y <= year]
    return caps[(school_id, max(earlier))] if earlier else 0


def level_for(demand: int, seats: int, settings: EarlyWarningSettings) -> tuple[Decimal | None, str]:
    if seats <= 0:
        return None, RED if demand > 0 else GREEN
    ratio = (Decimal(demand) / Decimal(seats)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if ratio > Decimal(settings.red_ratio):
        return ratio, RED
    if ratio >= Decimal(settings.yellow_ratio):
        return ratio, YELLOW
    return ratio, GREEN


def forecast(
    *, district, stage: str, start_year: int | None = None, years: int = 3, requester=None
) -> list[SchoolForecast]:
    """One row per school of the district and stage, for ``years`` entry years from ``start_year``."""
    today = cases.local_today()
    start_year = start_year or default_start_year(today)
    conf = settings_for(district)
    schools = list(
        School.objects.filter(district=district, stage=stage).prefetch_related("zone").order_by("code")
    )
    zone_of: dict[str, int] = {}
    for school in schools:
        for community in school.zone.all():
            zone_of.setdefault(community.code, school.pk)  # the same rule as the enrollment zones
    codes = sorted(zone_of)
    purpose = f"学位预警 {district.code} {stage} {start_year}-{start_year + years - 1}"
    cohorts: dict[int, dict[str, int]] = {}
    purchases: dict[str, int] = {}
    if codes:
        for year in range(start_year, start_year + years):
            born_from, born_until = entry_window(district, stage, year)
            cohorts[year] = _statistic(
                S.HUKOU,
                "cohort-counts",
                {
                    "community_codes": codes,
                    "born_from": born_from.isoformat(),
                    "born_until": born_until.isoformat(),
                },
                requester=requester,
                purpose=purpose,
            )
        since = today - dt.timedelta(days=round(30.44 * conf.purchase_months))
        purchases = _statistic(
            S.PROPERTY,
            "registration-counts",
            {
                "community_codes": codes,
                "registered_from": since.isoformat(),
                "registered_until": today.isoformat(),
            },
            requester=requester,
            purpose=purpose,
        )
    caps = {
        (sid, y): seats
        for sid, y, seats in SchoolCapacity.objects.filter(school__in=schools).values_list(
            "school_id", "year", "seats"
        )
    }
    per_home = Decimal(conf.children_per_home)
    out = []
    for school in schools:
        zone_codes = [c.code for c in school.zone.all() if zone_of.get(c.code) == school.pk]
        bought = sum(purchases.get(c, 0) for c in zone_codes)
        rows = []
        for year in range(start_year, start_year + years):
            cohort = sum(cohorts.get(year, {}).get(c, 0) for c in zone_codes)
            from_purchases = (bought * per_home).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            demand = cohort + int(from_purchases.to_integral_value(rounding=ROUND_HALF_UP))
            seats = _capacity(school.pk, year, caps)
            ratio, level = level_for(demand, seats, conf)
            rows.append(YearForecast(year, cohort, from_purchases, demand, seats, ratio, level))
        out.append(SchoolForecast(school.code, school.name, len(zone_codes), tuple(rows)))
    return out
