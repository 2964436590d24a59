"""Loading a district's configuration (contracts/registry-fixture.md, ``load_schools``).

All or nothing: every record is checked first; one bad record rejects the file with a message naming it.
Loading is additive: a community or school whose code exists is updated; its zone is replaced.
"""

from dataclasses import dataclass

from django.db import transaction

from portal.orgs.models import Community, District, School, SchoolCapacity, Stage

_TOP_KEYS = {"district", "communities", "schools"}
_DISTRICT_KEYS = {"code", "name"}
_COMMUNITY_KEYS = {"code", "name", "lat", "lng"}
_SCHOOL_KEYS = {"code", "name", "stage", "lat", "lng", "zone", "capacity"}


class LoadError(ValueError):
    """A record that cannot be loaded; the message names it."""


@dataclass
class LoadSummary:
    district: str
    communities: int
    schools: int
    capacities: int


def _keys(record: dict, allowed: set[str], required: set[str], where: str) -> None:
    if not isinstance(record, dict):
        raise LoadError(f"{where}: expected an object")
    unknown = set(record) - allowed
    if unknown:
        raise LoadError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    missing = required - set(record)
    if missing:
        raise LoadError(f"{where}: missing key(s) {', '.join(sorted(missing))}")


def _coord(value, where: str, name: str, low: float, high: float):
    if value is None:
        return None
    if not isinstance(value, int | float) or not low <= value <= high:
        raise LoadError(f"{where}: {name} must be a number between {low} and {high}")
    return float(value)


def validate(data: dict) -> None:
    _keys(data, _TOP_KEYS, {"district"}, "file")
    _keys(data["district"], _DISTRICT_KEYS, _DISTRICT_KEYS, "district")
    codes: set[str] = set(Community.objects.values_list("code", flat=True))
    seen: set[str] = set()
    for i, c in enumerate(data.get("communities", [])):
        where = f"communities[{i}] ({c.get('code', '?') if isinstance(c, dict) else '?'})"
        _keys(c, _COMMUNITY_KEYS, {"code", "name"}, where)
        if c["code"] in seen:
            raise LoadError(f"{where}: duplicate community code")
        seen.add(c["code"])
        _coord(c.get("lat"), where, "lat", -90, 90)
        _coord(c.get("lng"), where, "lng", -180, 180)
    codes |= seen
    school_codes: set[str] = set()
    for i, s in enumerate(data.get("schools", [])):
        where = f"schools[{i}] ({s.get('code', '?') if isinstance(s, dict) else '?'})"
        _keys(s, _SCHOOL_KEYS, {"code", "name", "stage"}, where)
        if s["code"] in school_codes:
            raise LoadError(f"{where}: duplicate school code")
        school_codes.add(s["code"])
        if s["stage"] not in Stage.values:
            raise LoadError(f"{where}: stage must be one of {', '.join(Stage.values)}")
        _coord(s.get("lat"), where, "lat", -90, 90)
        _coord(s.get("lng"), where, "lng", -180, 180)
        for code in s.get("zone", []):
            if code not in codes:
                raise LoadError(f"{where}: zone names unknown community {code}")
        for year, seats in (s.get("capacity") or {}).items():
            if not str(year).isdigit() or not 2000 <= int(year) <= 2100:
                raise LoadError(f"{where}: capacity year {year!r} is not a year")
            if not isinstance(seats, int) or seats < 0:
                raise LoadError(f"{where}: capacity for {year} must be a whole number ≥ 0")


@transaction.atomic
def load_schools(data: dict) -> LoadSummary:
    validate(data)
    district, _ = District.objects.update_or_create(
        code=data["district"]["code"], defaults={"name": data["district"]["name"]}
    )
    for c in data.get("communities", []):
        Community.objects.update_or_create(
            code=c["code"],
            defaults={"district": district, "name": c["name"], "lat": c.get("lat"), "lng": c.get("lng")},
        )
    capacities = 0
    for s in data.get("schools", []):
        school, _ = School.objects.update_or_create(
            code=s["code"],
            defaults={
                "district": district,
                "name": s["name"],
                "stage": s["stage"],
                "lat": s.get("lat"),
                "lng": s.get("lng"),
            },
        )
        if "zone" in s:
            school.zone.set(Community.objects.filter(code__in=s["zone"]))
        for year, seats in (s.get("capacity") or {}).items():
            SchoolCapacity.objects.update_or_create(school=school, year=int(year), defaults={"seats": seats})
            capacities += 1
    return LoadSummary(
        district=district.code,
        communities=len(data.get("communities", [])),
        schools=len(data.get("schools", [])),
        capacities=capacities,
    )
