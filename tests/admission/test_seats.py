"""Never more admissions than seats, whatever runs at the same time: database constraints, and a
concurrency test on PostgreSQL that tries to overfill a school."""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Count

from admission import services
from admission.models import Placement, PlacementState, SeatLedger
from tests.admission import factories as F
from tests.factories import UserFactory


def test_the_database_refuses_more_taken_than_seats(town):
    ledger = SeatLedger.objects.create(school=town["north"], year=2027, seats=2, taken=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatLedger.objects.filter(pk=ledger.pk).update(taken=3)  # no Python check on this path
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatLedger.objects.filter(pk=ledger.pk).update(taken=-1)


def test_the_database_refuses_two_live_placements_on_one_seat_or_for_one_application(town):
    d, north = town["district"], town["north"]
    first = services.placement_add(application=F.qualified(d, north), school=north, by=None)
    other = F.qualified(d, north)
    common = {"round": first.round, "school": north, "year": 2027, "how": "manual"}
    dates = {"notice_from": first.notice_from, "notice_until": first.notice_until}
    with pytest.raises(IntegrityError), transaction.atomic():
        Placement.objects.create(application=other, seat_no=first.seat_no, **common, **dates)
    with pytest.raises(IntegrityError), transaction.atomic():
        Placement.objects.create(application=first.application, seat_no=2, **common, **dates)


def test_a_full_school_refuses_a_placement_and_a_revoked_seat_can_be_taken_again(town):
    d, middle = town["district"], town["middle"]
    bureau = UserFactory(bureau=True, district=d)
    placed = services.placement_add(application=F.qualified(d, middle), school=middle, by=bureau)
    late = F.qualified(d, middle)
    with pytest.raises(services.seats.NoSeat):
        services.placement_add(application=late, school=middle, by=bureau)
    services.placement_revoke(placement=placed, by=bureau, reason="核实为虚假住址")
    again = services.placement_add(application=late, school=middle, by=bureau)
    assert again.seat_no == 1
    assert SeatLedger.objects.get(school=middle).taken == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_cannot_overfill_a_school(django_db_blocker):
    """12 bureau placements in parallel threads (own connections) plus an allocation run, all aiming at
    one school with 3 seats: exactly 3 live placements, the ledger says 3, nobody is overbooked."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL (CI runs it)")
    from portal.catalog.registry import sync_catalog

    sync_catalog()
    d = F.district()
    target = F.school(d, "T01", 3, 30.0, 120.0)
    F.school(d, "FAR", 0, 31.0, 120.0)
    bureau = UserFactory(bureau=True, district=d)
    hand = [F.qualified(d, target) for _ in range(12)]
    drawn = [F.qualified(d, target) for _ in range(6)]
    round_ = services.round_for(district=d, year=2027, stage="primary")
    run = services.allocation_start(round_=round_, by=None, seed="race", queue=False)
    barrier = threading.Barrier(len(hand) + 1)
    outcomes = []

    def place(app):
        try:
            barrier.wait()
            services.placement_add(application=app, school=target, by=bureau)
            outcomes.append("placed")
        except services.seats.NoSeat:
            outcomes.append("full")
        finally:
            connections.close_all()

    def draw():
        try:
            barrier.wait()
            services.allocation_execute(run_id=run.pk)
            outcomes.append("drawn")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=place, args=(a,)) for a in hand] + [threading.Thread(target=draw)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    live = Placement.objects.filter(school=target).exclude(state=PlacementState.REVOKED)
    assert live.count() == 3
    assert SeatLedger.objects.get(school=target).taken == 3
    assert sorted(live.values_list("seat_no", flat=True)) == [1, 2, 3]
    assert outcomes.count("placed") + Placement.objects.filter(run=run, school=target).count() == 3
    assert len(outcomes) == len(threads)
    doubles = live.values("application").annotate(n=Count("pk")).filter(n__gt=1)
    assert not doubles.exists()
    assert live.filter(application__in=drawn + hand).count() == 3
