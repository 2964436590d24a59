"""The pure allocation algorithm (admission/allocation.py): tier order, tie-breaks, the lottery,
redistribution to the nearest school with seats, siblings kept together, determinism."""

import json
import random
from decimal import Decimal

import pytest

from admission import allocation as A

SEED = "2027-primary-public-draw"


def school(code, seats, lat=30.0, lng=120.0):
    return A.SchoolSeats(code, seats, lat, lng)


def app(ref, tier=0, *, zone="S1", points=None, date=None, lat=30.0, lng=120.0, group=None, target=None):
    return A.Applicant(
        ref=ref,
        tier_rank=tier,
        points=points,
        tie_date=date,
        zone=zone,
        lat=lat,
        lng=lng,
        group=group,
        target=target,
    )


def placed(result):
    return {a.ref: a.school for a in result.assignments}


def test_zone_applicants_are_admitted_in_tier_order():
    applicants = [app("E1", 4), app("C1", 2), app("A1", 0), app("B1", 1), app("D1", 3)]
    result = A.allocate([school("S1", 3)], applicants, SEED)
    got = placed(result)
    assert {r for r, s in got.items() if s == "S1"} == {"A1", "B1", "C1"}
    assert got["D1"] is None and got["E1"] is None
    assert [a.ref for a in result.assignments][:3] == ["A1", "B1", "C1"]


def test_ties_within_a_tier_go_to_the_earlier_ranking_date():
    applicants = [app("X", date="2019-05-01"), app("Y", date="2016-01-01"), app("Z", date=None)]
    result = A.allocate([school("S1", 1)], applicants, SEED)
    assert placed(result) == {"Y": "S1", "X": None, "Z": None}


def test_points_rank_a_points_tier_before_dates():
    applicants = [
        app("LOW", 3, points=Decimal("10"), date="2010-01-01"),
        app("HIGH", 3, points=Decimal("36.5"), date="2020-01-01"),
    ]
    assert placed(A.allocate([school("S1", 1)], applicants, SEED))["HIGH"] == "S1"


def test_dates_can_be_switched_off_so_the_lottery_decides():
    applicants = [app(f"R{i}", date=f"20{10 + i}-01-01") for i in range(20)]
    with_dates = A.allocate([school("S1", 5)], applicants, SEED)
    assert {r for r, s in placed(with_dates).items() if s} == {f"R{i}" for i in range(5)}
    lottery_only = A.allocate([school("S1", 5)], applicants, SEED, use_dates=False)
    expected = sorted(applicants, key=lambda a: A.lottery_number(SEED, a.ref))[:5]
    assert {r for r, s in placed(lottery_only).items() if s} == {a.ref for a in expected}


def test_remaining_ties_are_broken_by_the_published_seed_lottery():
    applicants = [app(f"JY-ENR-2027-{i:06d}", date="2016-01-01") for i in range(1, 41)]
    result = A.allocate([school("S1", 10)], applicants, SEED)
    winners = {r for r, s in placed(result).items() if s}
    by_lottery = sorted(applicants, key=lambda a: A.lottery_number(SEED, a.ref))
    assert winners == {a.ref for a in by_lottery[:10]}
    other = A.allocate([school("S1", 10)], applicants, "another-seed")
    assert {r for r, s in placed(other).items() if s} != winners  # the seed decides, not the input order


def test_the_lottery_number_is_sha256_of_seed_and_reference():
    import hashlib

    assert A.lottery_number("abc", "JY-1") == hashlib.sha256(b"abc:JY-1").hexdigest()


def test_same_seed_same_result_whatever_the_input_order():
    rng = random.Random(7)
    schools = [
        school(f"S{i}", rng.randint(0, 30), 30 + rng.random(), 120 + rng.random()) for i in range(1, 21)
    ]
    applicants = [
        app(
            f"JY-{i:05d}",
            rng.randint(0, 4),
            zone=f"S{rng.randint(1, 20)}",
            date=rng.choice([None, "2015-03-01", "2018-07-01"]),
            lat=30 + rng.random(),
            lng=120 + rng.random(),
        )
        for i in range(600)
    ]
    first = A.allocate(schools, applicants, SEED)
    shuffled = applicants[:]
    rng.shuffle(shuffled)
    again = A.allocate(list(reversed(schools)), shuffled, SEED)
    assert first.digest() == again.digest()
    assert first.assignments == again.assignments


def test_overflow_goes_to_the_nearest_school_with_seats():
    schools = [
        school("HOME", 1, 30.00, 120.00),
        school("NEAR_FULL", 0, 30.01, 120.00),  # ~1.1 km but no seat
        school("NEAR", 2, 30.03, 120.00),  # ~3.3 km
        school("FAR", 5, 30.30, 120.00),  # ~33 km
    ]
    applicants = [
        app("A", zone="HOME", date="2010-01-01", lat=30.0, lng=120.0),
        app("B", zone="HOME", date="2012-01-01", lat=30.0, lng=120.0),
    ]
    result = A.allocate(schools, applicants, SEED)
    by_ref = result.by_ref()
    assert (by_ref["A"].school, by_ref["A"].how) == ("HOME", A.ZONE)
    assert (by_ref["B"].school, by_ref["B"].how) == ("NEAR", A.REDISTRIBUTED)
    assert by_ref["B"].distance_km == pytest.approx(3.336, abs=0.01)


def test_redistribution_follows_rank_order_and_never_exceeds_seats():
    schools = [
        school("Z", 0, 30, 120),
        school("N1", 1, 30.01, 120),
        school("N2", 1, 30.02, 120),
        school("N3", 1, 31, 120),
    ]
    applicants = [app(f"P{i}", 0, zone="Z", date=f"201{i}-01-01") for i in range(5)]
    got = placed(A.allocate(schools, applicants, SEED))
    assert got == {"P0": "N1", "P1": "N2", "P2": "N3", "P3": None, "P4": None}


def test_zone_applicants_come_before_redistributed_ones_at_their_school():
    # the tier-A overflow of FULL must not take the seat of B's zone school OTHER
    schools = [
        school("FULL", 0, 30.0, 120.0),
        school("OTHER", 1, 30.01, 120.0),
        school("FAR", 1, 31.0, 120.0),
    ]
    applicants = [
        app("A-overflow", 0, zone="FULL", lat=30.0, lng=120.0),
        app("B-zone", 1, zone="OTHER", lat=30.01, lng=120.0),
    ]
    got = placed(A.allocate(schools, applicants, SEED))
    assert got == {"B-zone": "OTHER", "A-overflow": "FAR"}


def test_siblings_bound_together_get_one_school_or_wait_together():
    schools = [school("S1", 2, 30, 120), school("S2", 1, 30.01, 120), school("S3", 2, 30.5, 120)]
    twins = [app("T1", 1, group="T1", date="2014-01-01"), app("T2", 1, group="T1", date="2014-01-01")]
    first = app("F", 0)  # takes one S1 seat first
    got = placed(A.allocate(schools, [first, *twins], SEED))
    assert got["F"] == "S1"
    assert got["T1"] == got["T2"] == "S3"  # S1 and S2 have one seat each left: not enough for both
    nowhere = placed(A.allocate([school("S1", 1)], twins, SEED))
    assert nowhere == {"T1": None, "T2": None}


def test_a_younger_sibling_targets_the_older_siblings_school():
    schools = [school("ZONE", 5, 30, 120), school("SIB", 1, 30.2, 120)]
    younger = app("Y", 2, zone="ZONE", target="SIB")
    assert placed(A.allocate(schools, [younger], SEED)) == {"Y": "SIB"}


def test_applicants_without_coordinates_go_to_the_school_with_most_free_seats():
    schools = [school("S1", 0), school("S2", 2, None, None), school("S3", 3)]
    got = placed(A.allocate(schools, [app("N", zone=None, lat=None, lng=None)], SEED))
    assert got == {"N": "S3"}


def test_invalid_inputs_are_refused():
    with pytest.raises(A.InvalidInput):
        A.allocate([school("S1", 1), school("S1", 2)], [], SEED)
    with pytest.raises(A.InvalidInput):
        A.allocate([school("S1", 1)], [app("X"), app("X")], SEED)


def test_the_inputs_document_round_trips():
    schools = [school("S1", 1), school("S2", 3, 30.1, 120.1)]
    applicants = [
        app("A", points=Decimal("12.50")),
        app("B", 2, zone="S2", group="B", date="2016-02-03"),
        app("C", 2, zone="S2", group="B"),
    ]
    doc = A.inputs_document(seed=SEED, schools=schools, applicants=applicants, use_dates=True, about={})
    seed, s2, a2, use_dates = A.load_inputs(doc)
    assert (seed, use_dates) == (SEED, True)
    assert A.allocate(s2, a2, seed).digest() == A.allocate(schools, applicants, SEED).digest()


def test_a_published_inputs_document_with_other_columns_or_short_rows_is_refused(tmp_path, capsys):
    from admission import recompute

    doc = A.inputs_document(
        seed=SEED, schools=[school("S1", 1)], applicants=[app("A")], use_dates=True, about={}
    )
    reordered = {**doc, "applicant_columns": list(reversed(doc["applicant_columns"]))}
    with pytest.raises(A.InvalidInput, match="applicant_columns must be"):
        A.load_inputs(reordered)
    short = {**doc, "applicants": [row[:-1] for row in doc["applicants"]]}
    with pytest.raises(A.InvalidInput, match="one value per column"):
        A.load_inputs(short)
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps(short), encoding="utf-8")
    assert recompute.main([str(path)]) == 2
    assert "one value per column" in capsys.readouterr().err
