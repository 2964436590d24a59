"""Seats: the ledger rows that hold each school's seats (学位) for a year, locked while seats change hands.

Call these inside ``transaction.atomic``. Ledgers are always locked in primary-key order, so two writers
never wait for each other in a cycle. ``taken`` only moves through :func:`take` and :func:`give_back`;
the CHECK constraints on ``SeatLedger`` refuse anything above ``seats`` or below zero even if a caller
forgot the lock.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from admission.models import Placement, PlacementState, SeatLedger
from portal.orgs.models import School, SchoolCapacity


class NoSeat(ValidationError):
    """The school has no free seat (or not enough for a group of siblings)."""


def ensure_ledgers(*, schools: Iterable[School], year: int) -> None:
    """Create the missing ledger rows of ``schools`` for ``year`` from their capacities (idempotent and
    safe under concurrency: a row another writer created first is kept). Call it before the transaction
    that locks the ledgers: concurrent inserts of the same rows inside long transactions can deadlock."""
    school_ids = [s.pk for s in schools]
    caps = dict(
        SchoolCapacity.objects.filter(school_id__in=school_ids, year=year).values_list("school_id", "seats")
    )
    have = set(
        SeatLedger.objects.filter(school_id__in=school_ids, year=year).values_list("school_id", flat=True)
    )
    SeatLedger.objects.bulk_create(
        [
            SeatLedger(school_id=sid, year=year, seats=seats)
            for sid, seats in sorted(caps.items())
            if sid not in have
        ],
        ignore_conflicts=True,
    )


def lock_ledgers(*, schools: Iterable[School], year: int) -> dict[int, SeatLedger]:
    """Lock the ledgers of ``schools`` (school id → ledger) and bring their seats in line with the
    capacities bureau staff set; a capacity cut below the seats already taken is refused."""
    schools = list(schools)
    ensure_ledgers(schools=schools, year=year)
    ledgers = {
        ledger.school_id: ledger
        # NO KEY UPDATE: placements referencing the school (KEY SHARE) are not blocked; school rows unlocked
        for ledger in SeatLedger.objects.select_for_update(no_key=True, of=("self",))
        .filter(school_id__in=[s.pk for s in schools], year=year)
        .select_related("school")
        .order_by("pk")
    }
    caps = dict(
        SchoolCapacity.objects.filter(school_id__in=list(ledgers), year=year).values_list(
            "school_id", "seats"
        )
    )
    changed = []
    for school_id, ledger in ledgers.items():
        seats = caps.get(school_id, 0)
        if seats == ledger.seats:
            continue
        if seats < ledger.taken:
            raise ValidationError(
                {
                    "capacity": [
                        _(
                            "%(school)s has %(taken)d seats taken in %(year)d; "
                            "its capacity cannot be %(seats)d."
                        )
                        % {"school": ledger.school.name, "taken": ledger.taken, "year": year, "seats": seats}
                    ]
                }
            )
        ledger.seats = seats
        changed.append(ledger)
    if changed:
        SeatLedger.objects.bulk_update(changed, ["seats"])
    return ledgers


def free_seat_numbers(ledger: SeatLedger, n: int) -> list[int]:
    """The ``n`` lowest seat numbers of the ledger's school that no live placement holds."""
    used = set(
        Placement.objects.filter(school_id=ledger.school_id, year=ledger.year)
        .exclude(state=PlacementState.REVOKED)
        .values_list("seat_no", flat=True)
    )
    free = [no for no in range(1, ledger.seats + 1) if no not in used][:n]
    if len(free) < n:
        raise NoSeat(_("%(school)s has no free seat.") % {"school": ledger.school.name}, code="full")
    return free


def take(ledger: SeatLedger, n: int = 1) -> None:
    """Take ``n`` seats of the locked ``ledger`` (the database refuses more than its seats)."""
    if ledger.taken + n > ledger.seats:
        raise NoSeat(
            _("%(school)s has %(free)d free seat(s); %(n)d needed.")
            % {"school": ledger.school.name, "free": ledger.free, "n": n},
            code="full",
        )
    SeatLedger.objects.filter(pk=ledger.pk).update(taken=F("taken") + n)
    ledger.taken += n


def give_back(ledger: SeatLedger, n: int = 1) -> None:
    SeatLedger.objects.filter(pk=ledger.pk).update(taken=F("taken") - n)
    ledger.taken -= n


# --- what student status asks (registered from AdmissionConfig.ready): seats of a cohort for transfers ---


def cohort_free(school: School, entry_year: int) -> int | None:
    """Free seats of ``school``'s cohort that entered in ``entry_year``; None when the school has no
    ledger nor capacity for that year (its seats are not counted)."""
    ensure_ledgers(schools=[school], year=entry_year)
    ledger = SeatLedger.objects.filter(school=school, year=entry_year).first()
    return None if ledger is None else ledger.free


def cohort_move(*, from_school: School, to_school: School, entry_year: int) -> None:
    """A transferred pupil takes a seat of the receiving school's cohort and gives one back at the sending
    school (in the caller's transaction; ledgers locked in primary-key order)."""
    ledgers = lock_ledgers(schools=[from_school, to_school], year=entry_year)
    if to_school.pk in ledgers:
        take(ledgers[to_school.pk])
    sending = ledgers.get(from_school.pk)
    if sending is not None and sending.taken > 0:
        give_back(sending)
