"""``load_registry``: validate a whole fixture, then write it in one transaction (all or nothing)."""

from collections import defaultdict
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q

from sandbox.models import Person
from sandbox.registry.spec import SECTION_MODEL, SECTIONS, record_key, referenced_ids, rows, validate_record
from sandbox.registry.writer import BulkWriter

_CHUNK = 500


class FixtureError(Exception):
    """The fixture was rejected; ``problems`` names each bad record. Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n".join(problems[:50]) + (
            f"\n… and {len(problems) - 50} more" if len(problems) > 50 else ""
        )
        super().__init__(f"registry fixture rejected ({len(problems)} problem(s)):\n{shown}")


def _label(section: str, index: int, record) -> str:
    key = ""
    if isinstance(record, dict):
        key = " / ".join(str(record.get(k)) for k in SECTIONS[section].key if record.get(k) is not None)
    return f"{section}[{index}]" + (f" ({key})" if key else "")


def validate(data) -> dict[str, list[dict]]:
    """Return the normalised sections or raise FixtureError listing every problem with its record."""
    if not isinstance(data, dict):
        raise FixtureError(["the fixture must be a JSON object with one list per section"])
    problems: list[str] = [
        f"unknown section {name!r} (known: {', '.join(SECTIONS)})" for name in data if name not in SECTIONS
    ]
    clean: dict[str, list[dict]] = {}
    for name, section in SECTIONS.items():
        records = data.get(name, [])
        if not isinstance(records, list):
            problems.append(f"{name}: must be a list of records")
            continue
        seen: dict[tuple, int] = {}
        clean[name] = []
        for i, record in enumerate(records):
            normalised, record_problems = validate_record(section, record)
            label = _label(name, i, record)  # the key as the fixture's author wrote it
            problems += [f"{label}: {p}" for p in record_problems]
            if record_problems:
                continue
            key = record_key(section, normalised)
            if key in seen:
                problems.append(f"{label}: same key as {name}[{seen[key]}]")
                continue
            seen[key] = i
            clean[name].append(normalised)
    if problems:
        raise FixtureError(problems)
    problems += _check_references(clean)
    problems += _check_phones(clean)
    if problems:
        raise FixtureError(problems)
    return clean


def _check_references(clean: dict[str, list[dict]]) -> list[str]:
    """Every ID number a record names must be a person in the fixture or already in the registry."""
    in_file = {p["id_number"] for p in clean.get("persons", [])}
    wanted: dict[str, list[str]] = defaultdict(list)
    for name, records in clean.items():
        for i, record in enumerate(records):
            for field, id_number in referenced_ids(SECTIONS[name], record):
                if id_number not in in_file:
                    wanted[id_number].append(
                        f"{_label(name, i, record)}: {field} {id_number}: no such person"
                    )
    missing = set(wanted)
    ids = list(wanted)
    for start in range(0, len(ids), _CHUNK):
        missing -= set(
            Person.objects.filter(id_number__in=ids[start : start + _CHUNK]).values_list(
                "id_number", flat=True
            )
        )
    return sorted(message for id_number in missing for message in wanted[id_number])


def _check_phones(clean: dict[str, list[dict]]) -> list[str]:
    persons = clean.get("persons", [])
    by_phone: dict[str, int] = {}
    problems = []
    for i, p in enumerate(persons):
        if p.get("phone"):
            if p["phone"] in by_phone:
                problems.append(
                    f"{_label('persons', i, p)}: phone {p['phone']} also on persons[{by_phone[p['phone']]}]"
                )
            by_phone[p["phone"]] = i
    ids = {p["id_number"] for p in persons}
    phones = list(by_phone)
    for start in range(0, len(phones), _CHUNK):
        taken = Person.objects.filter(phone__in=phones[start : start + _CHUNK]).exclude(id_number__in=ids)
        for other in taken.only("phone", "id_number"):
            i = by_phone[other.phone]
            problems.append(
                f"{_label('persons', i, persons[i])}: phone {other.phone} belongs to {other.id_number}"
            )
    return problems


def _delete_existing(name: str, records: list[dict]) -> None:
    """A record whose key exists replaces the old one (owners / tenants go with their title / lease)."""
    model, key = SECTION_MODEL[name], SECTIONS[name].key
    for start in range(0, len(records), _CHUNK):
        chunk = records[start : start + _CHUNK]
        if len(key) == 1:
            model.objects.filter(**{f"{key[0]}__in": [r[key[0]] for r in chunk]}).delete()
        else:
            model.objects.filter(reduce(or_, (Q(**{k: r[k] for k in key}) for r in chunk))).delete()


def load(data) -> dict[str, int]:
    """Validate ``data`` (a parsed fixture) and write it; returns the number of records per section."""
    clean = validate(data)
    with transaction.atomic():
        for name, records in clean.items():
            _delete_existing(name, records)
        writer = BulkWriter()
        for name, records in clean.items():
            for record in records:
                writer.add_all(rows(name, record))
        writer.flush()
    return {name: len(records) for name, records in clean.items() if records}
