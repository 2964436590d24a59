"""Seat allocation (录取) as a pure, deterministic function: no Django, no database, no clock.

Everyone can run it: ``admission/recompute.py`` (plain Python 3.11, standard library only) loads this
module next to itself and recomputes a published draw from its published inputs. The portal's database
layer (``admission.draw``) builds the same inputs from the applications and calls :func:`allocate`.

The rules (DOMAIN.md, Allocation; docs/workflows/admission.md):

1. **Order.** Applicants are ranked by tier (``tier_rank``: the district's configured tier order), within a
   tier by points (tiers ranked by points, e.g. 随迁子女: more first), then by the configured ranking date
   (earlier 户籍 move-in or property registration first; none after any date), then by the **lottery
   number** ``sha256("<seed>:<reference_no>")`` (smaller first). The seed is published before the draw; the
   lottery number of one applicant depends only on the seed and their own reference number, so adding or
   removing other applicants can never change the relative order of two applicants.
2. **Siblings bound together** (多孩同校 / 长幼随学) form one unit that is placed at one school or not at all;
   the unit takes the rank of its best-ranked member and that member's target school and location.
3. **Zone round.** Units in rank order take a seat at their target school (the zone school, or the school
   an older sibling was admitted to) while it has enough seats; the others overflow.
4. **Redistribution (调剂).** Overflow units in rank order go to the nearest school (great-circle distance
   from the unit's location, ties by school code) that still has enough seats. A unit without a location
   goes to the school with the most free seats (ties by code). A unit no school can take waits.

The result does not depend on the order of the inputs; :func:`result_digest` is a SHA-256 over the
canonical result, so two runs (or a run and a recomputation) can be compared by one value.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

FORMAT = "admission-draw/1"
EARTH_RADIUS_KM = 6371.0088
ZONE, REDISTRIBUTED, WAITING = "zone", "redistributed", "waiting"
_NO_DATE = "9999-12-31"  # sorts after every real ISO date


class SchoolSeats(NamedTuple):
    """A school and the seats it still offers in this draw."""

    code: str
    seats: int
    lat: float | None = None
    lng: float | None = None


class Applicant(NamedTuple):
    ref: str  # the case reference number: the lottery key, unique
    tier_rank: int  # 0 = the first tier
    points: Decimal | None = None  # tiers ranked by points: more first
    tie_date: str | None = None  # ISO date; earlier first
    zone: str | None = None  # the zone school's code
    lat: float | None = None  # where distances are measured from
    lng: float | None = None
    target: str | None = None  # the school to try first if not the zone school (an older sibling's)
    group: str | None = None  # applicants with the same group are placed together


class Assignment(NamedTuple):
    ref: str
    school: str | None
    how: str  # zone | redistributed | waiting
    rank: int  # 1-based position of the applicant's unit in the order
    lottery: str
    distance_km: float | None = None


@dataclass
class Result:
    seed: str
    assignments: list[Assignment]
    remaining: dict[str, int]
    counts: dict[str, int] = field(default_factory=dict)
    _digest: str | None = field(default=None, repr=False, compare=False)

    def by_ref(self) -> dict[str, Assignment]:
        return {a.ref: a for a in self.assignments}

    def digest(self) -> str:
        if self._digest is None:
            self._digest = result_digest(self.assignments)
        return self._digest


class InvalidInput(ValueError):
    """The inputs contradict themselves (duplicate references or school codes, negative seats)."""


# --- helpers -----------------------------------------------------------------------------------------


def lottery_number(seed: str, ref: str) -> str:
    """The applicant's lottery number: 64 hex digits, smaller draws first."""
    return hashlib.sha256(f"{seed}:{ref}".encode()).hexdigest()


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _by_distance(lat: float, lng: float, located_rad: list[tuple]) -> list[tuple[float, str]]:
    """Schools by great-circle distance from (lat, lng), nearest first, ties by code: the haversine
    formula with the schools' trigonometry computed once."""
    p1, l1 = math.radians(lat), math.radians(lng)
    c1, sin, asin, sqrt = math.cos(p1), math.sin, math.asin, math.sqrt
    order = []
    for p2, l2, c2, code in located_rad:
        a = sin((p2 - p1) / 2) ** 2 + c1 * c2 * sin((l2 - l1) / 2) ** 2
        order.append((2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(a))), code))
    order.sort()
    return order


def sort_key(applicant: Applicant, lottery: str, *, use_dates: bool = True) -> tuple:
    """The applicant's place in the order (smaller first): tier, points (more first), ranking date
    (earlier first, none last), lottery number, and the reference number (unique, so the order is total)."""
    points = -applicant.points if applicant.points else 0
    date = (applicant.tie_date or _NO_DATE) if use_dates else _NO_DATE
    return (applicant.tier_rank, points, date, lottery, applicant.ref)


def result_digest(assignments: Iterable[Assignment]) -> str:
    rows = sorted([a.ref, a.school or "", a.how] for a in assignments)
    canonical = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _units(applicants: Sequence[Applicant], seed: str, use_dates: bool) -> tuple[list[tuple], dict[str, str]]:
    """Units ``(key, members, leader)`` in rank order; a sibling group is one unit led by its best member."""
    sha256 = hashlib.sha256
    lotteries = {a.ref: sha256(f"{seed}:{a.ref}".encode()).hexdigest() for a in applicants}
    groups: dict[str, list[tuple]] = {}
    units: list[tuple] = []
    no_date = _NO_DATE
    for a in applicants:  # the key is sort_key(), inlined: this loop runs once per applicant
        key = (
            a.tier_rank,
            -a.points if a.points else 0,
            (a.tie_date or no_date) if use_dates else no_date,
            lotteries[a.ref],
            a.ref,
        )
        if a.group:
            groups.setdefault(a.group, []).append((key, a))
        else:
            units.append((key, (a,), a))
    for members in groups.values():
        members.sort(key=lambda km: km[0])
        units.append((members[0][0], tuple(m for _k, m in members), members[0][1]))
    units.sort(key=itemgetter(0))
    return units, lotteries


class _Nearest:
    """Schools by distance from one origin, with a cursor past schools that are full for good."""

    __slots__ = ("order", "cursor")

    def __init__(self, order: list[tuple[float, str]]):
        self.order, self.cursor = order, 0


# --- the algorithm ------------------------------------------------------------------------------------


def allocate(
    schools: Iterable[SchoolSeats], applicants: Iterable[Applicant], seed: str, *, use_dates: bool = True
) -> Result:
    """Place ``applicants`` at ``schools``; see the module docstring for the rules."""
    schools = sorted(schools, key=lambda s: s.code)
    applicants = list(applicants)
    remaining: dict[str, int] = {}
    for s in schools:
        if s.code in remaining:
            raise InvalidInput(f"school {s.code} is listed twice")
        if s.seats < 0:
            raise InvalidInput(f"school {s.code} has negative seats")
        remaining[s.code] = s.seats
    if len({a.ref for a in applicants}) != len(applicants):
        raise InvalidInput("an applicant reference appears twice")
    located = [s for s in schools if s.lat is not None and s.lng is not None]
    located_rad = [
        (math.radians(s.lat), math.radians(s.lng), math.cos(math.radians(s.lat)), s.code) for s in located
    ]
    unlocated = [s.code for s in schools if s.lat is None or s.lng is None]

    units, lotteries = _units(applicants, str(seed), use_dates)
    placed: dict[str, tuple[str | None, str, int, float | None]] = {}
    overflow: list[tuple[int, tuple]] = []

    for rank, unit in enumerate(units, start=1):
        _key, members, leader = unit
        target = leader.target or leader.zone
        if target is not None and remaining.get(target, 0) >= len(members):
            remaining[target] -= len(members)
            for m in members:
                placed[m.ref] = (target, ZONE, rank, None)
        else:
            overflow.append((rank, unit))

    nearest_cache: dict[tuple[float, float], _Nearest] = {}
    for rank, (_key, members, leader) in overflow:
        size = len(members)
        lat, lng = leader.lat, leader.lng
        choice, distance = None, None
        if lat is not None and lng is not None:
            near = nearest_cache.get((lat, lng))
            if near is None:
                order = _by_distance(lat, lng, located_rad)
                order += [(math.inf, code) for code in unlocated]
                near = nearest_cache[(lat, lng)] = _Nearest(order)
            while near.cursor < len(near.order) and remaining[near.order[near.cursor][1]] == 0:
                near.cursor += 1
            for i in range(near.cursor, len(near.order)):
                dist, code = near.order[i]
                if remaining[code] >= size:
                    choice, distance = code, (None if math.isinf(dist) else round(dist, 3))
                    break
        else:
            best = None
            for code, free in remaining.items():  # sorted by code already
                if free >= size and (best is None or free > remaining[best]):
                    best = code
            choice = best
        if choice is None:
            for m in members:
                placed[m.ref] = (None, WAITING, rank, None)
            continue
        remaining[choice] -= size
        for m in members:
            placed[m.ref] = (choice, REDISTRIBUTED, rank, distance)

    assignments = []
    for _key, members, _leader in units:
        for m in members:
            school, how, rank, distance = placed[m.ref]
            assignments.append(Assignment(m.ref, school, how, rank, lotteries[m.ref], distance))
    counts = {ZONE: 0, REDISTRIBUTED: 0, WAITING: 0}
    for a in assignments:
        counts[a.how] += 1
    return Result(seed=str(seed), assignments=assignments, remaining=remaining, counts=counts)


# --- the published inputs ---------------------------------------------------------------------------


APPLICANT_COLUMNS = ("ref", "tier_rank", "points", "tie_date", "zone", "lat", "lng", "target", "group")


def inputs_document(
    *,
    seed: str,
    schools: Sequence[SchoolSeats],
    applicants: Sequence[Applicant],
    use_dates: bool,
    about: dict,
) -> dict:
    """The draw's inputs as published (JSON): what :func:`load_inputs` reads back. No names, no ID
    numbers: reference numbers, tiers, points (as decimal strings), ranking dates, zone schools and
    coordinates. Applicants are rows in the order of ``applicant_columns``, sorted by reference."""
    return {
        "format": FORMAT,
        "about": about,
        "seed": str(seed),
        "use_dates": use_dates,
        "schools": [
            {"code": s.code, "seats": s.seats, "lat": s.lat, "lng": s.lng}
            for s in sorted(schools, key=lambda s: s.code)
        ],
        "applicant_columns": list(APPLICANT_COLUMNS),
        "applicants": [
            [a.ref, a.tier_rank, None if a.points is None else str(a.points), *a[3:]]
            for a in sorted(applicants, key=itemgetter(0))
        ],
    }


def load_inputs(document: dict) -> tuple[str, list[SchoolSeats], list[Applicant], bool]:
    if document.get("format") != FORMAT:
        raise InvalidInput(f"not an {FORMAT} document")
    if list(document.get("applicant_columns") or []) != list(APPLICANT_COLUMNS):
        raise InvalidInput(f"applicant_columns must be {list(APPLICANT_COLUMNS)}")
    schools = [
        SchoolSeats(s["code"], int(s["seats"]), s.get("lat"), s.get("lng")) for s in document["schools"]
    ]
    if any(len(a) != len(APPLICANT_COLUMNS) for a in document["applicants"]):
        raise InvalidInput("every applicant row has one value per column")
    applicants = [
        Applicant(ref, int(rank), None if points is None else Decimal(points), *rest)
        for ref, rank, points, *rest in document["applicants"]
    ]
    return str(document["seed"]), schools, applicants, bool(document.get("use_dates", True))


def canonical_json(document: dict) -> bytes:
    """Compact UTF-8 JSON; :func:`inputs_document` builds its keys and lists in a fixed order."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
