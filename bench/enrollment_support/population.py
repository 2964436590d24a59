"""Families for the benchmark: the fault test's mix of kinds, at any size.

``tests.integration.faults.population`` makes the same families, but its ID allocator gives each area and
birth date at most 500 numbers, and one family in twenty has a child born on the cut-off day: it stops
short of 10,000 families. This builder follows the same recipe (kinds, homes, leases, expected decisions;
the world, the loader and the guardian accounts are the fault test's own helpers) and moves on to the next
area code when a birth date's numbers run out, so 20,000 families or more are possible.
"""

import random
from collections import defaultdict
from datetime import date, timedelta

from tests.integration.faults import (
    CUTOFF,
    DISTRICT,
    ELSEWHERE,
    EXPECT_REVIEW,
    GIVEN,
    KINDS,
    SURNAMES,
    TIER,
    UNZONED,
    YEAR,
    ZONE_P1,
    ZONE_P2,
    Family,
)

MIGRANT_AREA = "411523"


class Ids:
    """Valid GB 11643 ID numbers, distinct within one population: 500 per area code and birth date, then
    the next area code (the area part of an ID number is not checked against a list)."""

    def __init__(self):
        self.used: dict[tuple[str, date], int] = defaultdict(int)

    def __call__(self, area: str, born: date, *, male: bool) -> str:
        from portal.core.idcodes import id_check_char

        n = self.used[(area, born)]
        self.used[(area, born)] += 1
        block, n = divmod(n, 500)
        first17 = f"{int(area) + block:06d}{born:%Y%m%d}{n * 2 + (1 if male else 0):03d}"
        return first17 + id_check_char(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", "明", "华", "欣"))


def _person(id_number, name, gender, born, booklet, relation, where, address, moved) -> dict:
    return {
        "id_number": id_number,
        "name": name,
        "gender": gender,
        "birth_date": born.isoformat(),
        "phone": None,
        "hukou": {
            "household_no": booklet,
            "address": address,
            "community_code": where,
            "move_in_date": moved.isoformat(),
            "relation": relation,
        },
    }


def population(n: int, *, seed: int = 2027) -> tuple[dict, list[Family]]:
    """``n`` distinct families (cycling through the fault test's KINDS) as one registry fixture
    (contracts/registry-fixture.md), and what each applies with and should be decided."""
    rng = random.Random(seed)
    ids = Ids()
    data: dict[str, list] = defaultdict(list)
    families: list[Family] = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        area = MIGRANT_AREA if kind == "migrant" else DISTRICT
        father_born = date(1980, 1, 1) + timedelta(days=(i * 7) % 4000)
        mother_born = date(1982, 1, 1) + timedelta(days=(i * 11) % 4000)
        father = ids(area, father_born, male=True)
        mother = ids(area, mother_born, male=False)
        if kind == "at_cutoff":
            child_born = CUTOFF.replace(year=YEAR - 6)
        elif kind == "too_young":
            child_born = date(YEAR - 6, 9, 1) + timedelta(days=i % 30)
        else:
            child_born = CUTOFF.replace(year=YEAR - 6) - timedelta(days=(i * 13) % 365)
        male = bool(i % 2)
        child = ids(area, child_born, male=male)

        community = {"migrant": ELSEWHERE, "home_no_hukou": UNZONED}.get(kind, ZONE_P1 if i % 3 else ZONE_P2)
        home_community = ZONE_P2 if kind == "home_no_hukou" else community
        household, address = f"H{i:07d}", f"浙江省嘉兴市秀洲区{community}-{i}号"
        moved = date(2012, 1, 1) + timedelta(days=(i * 17) % 3000)
        own_booklet = kind in ("two_booklets", "single_parent")
        data["persons"] += [
            _person(father, _name(rng), "M", father_born, household, "head", community, address, moved),
            _person(
                mother,
                _name(rng),
                "F",
                mother_born,
                f"M{i:07d}" if own_booklet else household,
                "head" if own_booklet else "spouse",
                community,
                f"{address}之{i}" if own_booklet else address,
                moved,
            ),
            _person(
                child,
                _name(rng),
                "M" if male else "F",
                child_born,
                household,
                "child",
                community,
                address,
                moved,
            ),
        ]
        if kind in ("small_sole", "small_second"):  # grandparents on the booklet: five people
            for k, g_male in enumerate((True, False)):
                born = date(1950, 1, 1) + timedelta(days=(i * 5 + k) % 3000)
                data["persons"].append(
                    _person(
                        ids(area, born, male=g_male),
                        _name(rng),
                        "M" if g_male else "F",
                        born,
                        household,
                        "parent",
                        community,
                        address,
                        moved,
                    )
                )

        residence, permit_issued, insurance = "owned", None, 0
        homes: list[tuple[str, float]] = []  # (community, area m²), all residential
        if kind in ("small_sole", "small_second"):
            homes = [(home_community, 40.0)] + ([(UNZONED, 88.0)] if kind == "small_second" else [])
        elif kind == "migrant":
            residence = "rented"
            permit_issued = date(2022, 1, 1) + timedelta(days=(i * 19) % 1400)
            insurance = 6 + i % 48
            zone = ZONE_P1 if i % 2 else ZONE_P2
            data["residence_permits"].append(
                {
                    "id_number": father,
                    "community_code": zone,
                    "address": f"租住地址{i}",
                    "issued_date": permit_issued.isoformat(),
                    "valid_until": (permit_issued + timedelta(days=365 * 5)).isoformat(),
                }
            )
            data["leases"].append(
                {
                    "lease_no": f"L{i:08d}",
                    "tenant_ids": [father],
                    "community_code": zone,
                    "address": f"租住地址{i}",
                    "start_date": "2024-01-01",
                    "end_date": "2030-12-31",
                }
            )
            data["social_insurance"].append(
                {"id_number": father, "city": "嘉兴市", "first_month": "2022-01", "months_paid": insurance}
            )
        elif kind == "no_home":
            residence = "none"
        else:
            homes = [(home_community, 60.0 + (i * 7) % 90)]
        for k, (where, area_m2) in enumerate(homes):
            registered = date(2010, 1, 1) + timedelta(days=(i * 23 + k) % 4000)
            data["properties"].append(
                {
                    "cert_no": f"浙({registered.year})嘉兴市不动产权第{i * 4 + k:07d}号",
                    "owner_ids": [father] if kind == "single_parent" else [father, mother],
                    "address": f"{where}小区{i}-{k}",
                    "community_code": where,
                    "area_m2": area_m2,
                    "registered_date": registered.isoformat(),
                    "use": "residential",
                }
            )
        data["births"].append(
            {"cert_no": f"Q{i:08d}", "child_id": child, "mother_id": mother, "father_id": father}
        )
        data["marriages"].append(
            {
                "cert_no": f"J{i:08d}",
                "party_ids": [father, mother],
                "date": "2014-10-01",
                "status": "divorced" if kind == "single_parent" else "married",
            }
        )
        if kind == "has_student_record":
            data["student_records"].append(
                {
                    "id_number": child,
                    "school_code": "P9",
                    "stage": "primary",
                    "grade": 1,
                    "status": "enrolled",
                    "graduation_year": YEAR + 5,
                }
            )
        families.append(
            Family(
                index=i,
                kind=kind,
                father=father,
                mother=mother,
                child=child,
                child_born=child_born,
                residence=residence,
                single_parent=kind == "single_parent",
                expect="needs_review" if kind in EXPECT_REVIEW else "qualified",
                tier=TIER.get(kind, "A"),
                permit_issued=permit_issued,
                insurance_months=insurance,
            )
        )
    return dict(data), families
