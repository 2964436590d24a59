"""manage.py seed_registries: deterministic, consistent across registries, covering the hard cases."""

import json
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from sandbox import models as m
from sandbox.registry.digest import registry_digest
from sandbox.registry.loader import validate
from sandbox.registry.seeder import Generator, seed_population
from tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db
ZONES = ["330411001", "330411002", "330411003"]


def test_the_same_seed_gives_the_same_population_and_another_seed_another():
    first = seed_population(households=60, seed=7, communities=ZONES)
    digest = registry_digest()
    again = seed_population(households=60, seed=7, communities=ZONES)
    assert again.digest == first.digest and registry_digest() == digest
    assert again.rows == first.rows and first.rows["Person"] > 60 * 3
    other = seed_population(households=60, seed=8, communities=ZONES)
    assert other.digest != first.digest and registry_digest() != digest


def test_the_command_reads_the_portal_s_communities(capsys):
    zones = [CommunityFactory(code=code).code for code in ("Z-A", "Z-B")]
    call_command("seed_registries", households=30, seed=1)
    assert "Seeded 30 households (seed 1) in 2 communities" in capsys.readouterr().out
    assert set(m.Property.objects.values_list("community_code", flat=True)) <= set(zones)
    assert set(m.ResidencePermit.objects.values_list("community_code", flat=True)) <= set(zones)
    call_command("seed_registries", households=5, seed=1, communities="X1,X2")  # replaces the population
    assert set(m.Property.objects.values_list("community_code", flat=True)) <= {"X1", "X2"}


@pytest.fixture(scope="module")
def population():
    """Four hundred households in fixture form (no database needed to generate)."""
    sections = defaultdict(list)
    for section, record in Generator(households=400, seed=2026, communities=ZONES):
        sections[section].append(record)
    return dict(sections)


def test_the_population_is_a_valid_fixture_with_every_reference_resolved(population):
    validate(json.loads(json.dumps(population)))  # raises FixtureError naming any bad record


def test_the_population_covers_the_cases_enrollment_must_handle(population):
    persons = {p["id_number"]: p for p in population["persons"]}
    households = defaultdict(list)
    for p in persons.values():
        households[p["hukou"]["household_no"]].append(p)
    births = population["births"]
    children_of = defaultdict(list)
    for b in births:
        children_of[b["mother_id"]].append(persons[b["child_id"]])
    sizes = Counter(len(kids) for kids in children_of.values())
    assert {1, 2, 3} <= set(sizes)
    twins = [kids for kids in children_of.values() if len({k["birth_date"] for k in kids}) < len(kids)]
    assert twins
    assert any(p["hukou"]["relation"] == "parent" for p in persons.values())  # grandparents on the booklet
    assert any(p["hukou"]["relation"] == "grandchild" for p in persons.values())  # grandparents head it
    statuses = Counter(mm["status"] for mm in population["marriages"])
    assert statuses["married"] and statuses["divorced"]
    assert any(b["father_id"] is None for b in births)  # single mothers
    married = [mm["party_ids"] for mm in population["marriages"] if mm["status"] == "married"]
    assert any(persons[a]["hukou"]["household_no"] != persons[b]["hukou"]["household_no"] for a, b in married)
    # homes: owned (some small under the 18 m² rule), a second title for some, rented with permits
    owned = population["properties"]
    owners = Counter(o for p in owned if p["use"] == "residential" for o in p["owner_ids"])
    assert any(n >= 2 for n in owners.values())
    small = [
        p
        for p in owned
        if Decimal(str(p["area_m2"])) / len(households[persons[p["owner_ids"][0]]["hukou"]["household_no"]])
        < 18
    ]
    assert small
    permit_holders = {r["id_number"] for r in population["residence_permits"]}
    assert permit_holders and all(persons[i]["hukou"]["community_code"] not in ZONES for i in permit_holders)
    assert permit_holders & {r["id_number"] for r in population["social_insurance"]}
    assert permit_holders & {t for lease in population["leases"] for t in lease["tenant_ids"]}
    no_home = set(persons) - set(owners) - permit_holders
    assert any(persons[i]["hukou"]["community_code"] in ZONES for i in no_home)
    # names: rare characters beyond the BMP and minority names with ·
    names = [p["name"] for p in persons.values()]
    assert any(any(ord(ch) > 0xFFFF for ch in n) for n in names)
    assert any("·" in n for n in names)
    # 学籍 for school-age children, and the other registries
    stages = Counter((r["stage"], r["status"]) for r in population["student_records"])
    assert (
        stages[("primary", "enrolled")]
        and stages[("junior", "enrolled")]
        and stages[("primary", "graduated")]
    )
    for section in ("welfare", "disabilities", "degrees", "enterprises"):
        assert population.get(section), section
    # birth dates are real and in the past, IDs are unique
    assert len(persons) == len(population["persons"])
    assert all(date.fromisoformat(p["birth_date"]) < date(2026, 6, 2) for p in persons.values())
