"""The allocation's database layer: build the pure algorithm's inputs from the applications, and write
its result as placements that take seats from the locked ledgers.

Reads use ``values_list`` (no model instances, nothing decrypted) and writes use COPY and set-based
updates, so 100,000 applicants across 500 schools are read, drawn and written in seconds
(bench/bench_admission.py).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from admission import allocation as A
from admission import seats
from admission.models import AdmissionRound, AllocationRun, How, Placement, PlacementState, SeatLedger
from enrollment.models import Application, EnrollmentRules, State
from portal.cases.workdays import add_working_days
from portal.orgs.models import School, SchoolCapacity

LIVE = (PlacementState.ON_NOTICE, PlacementState.FINAL)


@dataclass
class DrawInputs:
    schools: list[A.SchoolSeats]
    applicants: list[A.Applicant]
    application_ids: dict[str, int]  # reference number → application pk
    school_ids: dict[str, int]  # school code → pk
    school_names: dict[str, str]
    free: dict[int, int]  # school pk → free seats at the draw
    unplaced: frozenset[int] = field(default_factory=frozenset)

    def document(self, *, seed: str, use_dates: bool, about: dict) -> dict:
        return A.inputs_document(
            seed=seed, schools=self.schools, applicants=self.applicants, use_dates=use_dates, about=about
        )


def round_schools(round_: AdmissionRound):
    return School.objects.filter(district_id=round_.district_id, stage=round_.stage).order_by("code")


def free_seats_unlocked(round_: AdmissionRound) -> dict[int, int]:
    """Free seats per school without taking locks (dry runs, and the first pass of a real run)."""
    schools = list(round_schools(round_).values_list("pk", flat=True))
    free = dict(
        SchoolCapacity.objects.filter(school_id__in=schools, year=round_.year).values_list(
            "school_id", "seats"
        )
    )
    for school_id, capacity, taken in SeatLedger.objects.filter(
        school_id__in=schools, year=round_.year
    ).values_list("school_id", "seats", "taken"):
        free[school_id] = max(0, free.get(school_id, capacity) - taken)
    return free


def _qualified(round_: AdmissionRound):
    return Application.objects.filter(
        case__district_id=round_.district_id, year=round_.year, stage=round_.stage, state=State.QUALIFIED
    ).order_by()


def _live_placed(round_: AdmissionRound):
    return (
        Placement.objects.filter(round=round_, state__in=LIVE)
        .order_by()
        .values_list("application_id", flat=True)
    )


def unplaced_ids(round_: AdmissionRound) -> frozenset[int]:
    """The round's qualified applications without a live placement."""
    placed = set(_live_placed(round_))
    return frozenset(pk for pk in _qualified(round_).values_list("pk", flat=True) if pk not in placed)


def tier_ranks(round_: AdmissionRound) -> tuple[dict[str, int], set[str]]:
    rules = EnrollmentRules.objects.filter(
        district_id=round_.district_id, year=round_.year, stage=round_.stage
    ).first()
    if rules is None:
        return {}, set()
    tiers = list(rules.tiers.order_by("order").values_list("code", "ranked_by_points"))
    return {code: i for i, (code, _p) in enumerate(tiers)}, {code for code, by_points in tiers if by_points}


def load_inputs(round_: AdmissionRound, *, free: dict[int, int]) -> DrawInputs:
    """The unplaced qualified applications of the round and the free seats, as the algorithm's inputs.

    An applicant's location is their zone school's (enrollment records the zone, not the home); an
    applicant who follows an older sibling admitted earlier (长幼随学) targets that sibling's school when
    it is of this stage; siblings both in this draw form one group."""
    schools = list(round_schools(round_).values_list("pk", "code", "name", "lat", "lng"))
    by_id = {pk: (code, lat, lng) for pk, code, _n, lat, lng in schools}
    ranks, by_points = tier_ranks(round_)
    unknown_rank = len(ranks)
    placed = set(_live_placed(round_).iterator(chunk_size=10000))
    rows = [
        row
        for row in _qualified(round_)
        .values_list(
            "pk", "case__reference_no", "category", "points", "tie_date", "zone_school_id", "sibling_id"
        )
        .iterator(chunk_size=10000)
        if row[0] not in placed
    ]
    unplaced = frozenset(row[0] for row in rows)
    in_draw = {pk for pk, *_rest in rows}

    # older siblings outside this draw: the school they hold (admitted, or placed in this round)
    outside = {sib for *_r, sib in rows if sib is not None and sib not in in_draw}
    sibling_school: dict[int, int] = {}
    if outside:
        for pk, stage, school_id in Application.objects.filter(
            pk__in=outside, state=State.ADMITTED, school__isnull=False
        ).values_list("pk", "stage", "school_id"):
            if stage == round_.stage:
                sibling_school[pk] = school_id
        for app_id, school_id in Placement.objects.filter(
            application_id__in=outside, state__in=LIVE
        ).values_list("application_id", "school_id"):
            sibling_school[app_id] = school_id

    # siblings in this draw: union-find into groups named by their smallest reference number
    parent = {pk: pk for pk in in_draw}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pk, *_r, sib in rows:
        if sib in in_draw:
            a, b = find(pk), find(sib)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members = Counter(find(pk) for pk in in_draw)
    ref_of = {pk: ref for pk, ref, *_r in rows}
    group_name: dict[int, str] = {}
    for pk in in_draw:
        root = find(pk)
        if members[root] > 1:
            group_name[root] = min(group_name.get(root, ref_of[pk]), ref_of[pk])

    applicants = []
    for pk, ref, category, points, tie_date, zone_id, sib in rows:
        zone = by_id.get(zone_id)
        target = by_id.get(sibling_school.get(sib)) if sib is not None else None
        origin = zone or target
        root = find(pk)
        applicants.append(
            A.Applicant(
                ref=ref,
                tier_rank=ranks.get(category, unknown_rank),
                points=points if category in by_points else None,
                tie_date=tie_date.isoformat() if isinstance(tie_date, dt.date) else None,
                zone=zone[0] if zone else None,
                lat=origin[1] if origin else None,
                lng=origin[2] if origin else None,
                target=target[0] if target else None,
                group=group_name.get(root),
            )
        )
    return DrawInputs(
        schools=[
            A.SchoolSeats(code, max(0, free.get(pk, 0)), lat, lng)
            for pk, code, _n, lat, lng in schools
            if pk in free
        ],
        applicants=applicants,
        application_ids={ref: pk for pk, ref, *_r in rows},
        school_ids={code: pk for pk, code, *_r in schools},
        school_names={code: name for _pk, code, name, *_r in schools},
        free=dict(free),
        unplaced=unplaced,
    )


def summarise(inputs: DrawInputs, result: A.Result, *, limit: int = 200) -> dict:
    """What the bureau page shows for a run: counts, one row per school, and the redistributed and
    waiting applicants (first ``limit`` of each)."""
    per_school: dict[str, Counter] = defaultdict(Counter)
    for a in result.assignments:
        if a.school:
            per_school[a.school][a.how] += 1
    rows = []
    for s in inputs.schools:
        c = per_school.get(s.code, Counter())
        rows.append(
            {
                "code": s.code,
                "name": inputs.school_names.get(s.code, s.code),
                "free_before": s.seats,
                "zone": c[A.ZONE],
                "redistributed": c[A.REDISTRIBUTED],
                "free_after": result.remaining.get(s.code, 0),
            }
        )
    moved = [a for a in result.assignments if a.how == A.REDISTRIBUTED]
    waiting = [a for a in result.assignments if a.how == A.WAITING]
    return {
        "applicants": len(result.assignments),
        "counts": result.counts,
        "schools": rows,
        "redistributed": [
            {"ref": a.ref, "school": a.school, "distance_km": a.distance_km, "rank": a.rank}
            for a in moved[:limit]
        ],
        "waiting": [{"ref": a.ref, "rank": a.rank} for a in waiting[:limit]],
        "result_sha256": result.digest(),
    }


PLACEMENT_COLUMNS = (
    "round_id",
    "run_id",
    "application_id",
    "school_id",
    "year",
    "seat_no",
    "how",
    "rank",
    "lottery",
    "distance_km",
    "state",
    "notice_from",
    "notice_until",
    "created_at",
    "revoked_reason",
)


def _insert_placements(rows: list[tuple]) -> None:
    """Insert placement rows without building model instances: COPY on PostgreSQL, one prepared
    multi-row statement elsewhere. The table's constraints apply as to any insert."""
    if not rows:
        return
    table = Placement._meta.db_table
    columns = ", ".join(PLACEMENT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
                buffer.write("\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        else:
            marks = ", ".join(["%s"] * len(PLACEMENT_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def write_placements(
    *,
    round_: AdmissionRound,
    run: AllocationRun,
    inputs: DrawInputs,
    result: A.Result,
    ledgers: dict[int, SeatLedger],
    today: dt.date,
) -> int:
    """Write the result's placements and take their seats from the locked ``ledgers``. Returns the number
    of placements. (``application.school`` is set when the admission becomes final.)"""
    by_school: dict[int, list[A.Assignment]] = defaultdict(list)
    for a in result.assignments:
        if a.school is not None:
            by_school[inputs.school_ids[a.school]].append(a)
    used: dict[int, set[int]] = defaultdict(set)
    for school_id, seat_no in Placement.objects.filter(
        school_id__in=list(by_school), year=round_.year, state__in=LIVE
    ).values_list("school_id", "seat_no"):
        used[school_id].add(seat_no)
    days = round_.notice_working_days
    notice_until = add_working_days(today, days) if days else today - dt.timedelta(days=1)
    now = timezone.now()
    rows, changed = [], []
    zone, redistributed, on_notice = How.ZONE, How.REDISTRIBUTED, PlacementState.ON_NOTICE
    application_ids, year = inputs.application_ids, round_.year
    for school_id, assigned in by_school.items():
        ledger = ledgers[school_id]
        taken = used[school_id]
        numbers = [no for no in range(1, ledger.seats + 1) if no not in taken]
        # the draw never exceeds the free seats; should it, nothing is written (the caller's transaction)
        if len(numbers) < len(assigned):
            raise seats.NoSeat(f"school {school_id}: {len(assigned)} placements, {len(numbers)} free seats")
        rows.extend(
            (
                round_.pk,
                run.pk,
                application_ids[a.ref],
                school_id,
                year,
                seat_no,
                zone if a.how == A.ZONE else redistributed,
                a.rank,
                a.lottery,
                a.distance_km,
                on_notice,
                today,
                notice_until,
                now,
                "",
            )
            for a, seat_no in zip(assigned, numbers[: len(assigned)], strict=True)
        )
        ledger.taken += len(assigned)  # the CHECK constraint refuses more than the seats
        changed.append(ledger)
    _insert_placements(rows)
    SeatLedger.objects.bulk_update(changed, ["taken"], batch_size=1000)
    return len(rows)
