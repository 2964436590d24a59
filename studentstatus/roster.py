"""Loading the pupils already at school from the schools' rosters (contracts/api-services.md, "Loading
the pupils already at school"): CSV in UTF-8 with a header row, or xlsx; every row is checked first and one
bad row loads nothing; loading the same file twice changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.core.idcodes import normalize_id_number
from portal.orgs.models import School
from studentstatus.models import GRADES, HistoryAction
from studentstatus.services.records import record_enrol

COLUMNS = (
    "id_number",
    "name",
    "gender",
    "birth_date",
    "school_code",
    "stage",
    "grade",
    "class",
    "entry_year",
)


@dataclass
class RosterRow:
    line: int
    id_number: str
    name: str
    gender: str
    birth_date: dt.date
    school: School
    stage: str
    grade: int
    class_name: str
    entry_year: int


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict]]:
    """(line number, {column: text}) for every data row; the header is line 1."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        rows = [
            ["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        for row in rows:  # whole numbers typed in Excel come back as floats ("3.0")
            for i, value in enumerate(row):
                if value.endswith(".0") and value[:-2].isdigit():
                    row[i] = value[:-2]
                if len(value) == 19 and value.endswith("00:00:00"):  # a date cell
                    row[i] = value[:10]
    else:
        text = data.decode("utf-8-sig")
        rows = [[v.strip() for v in row] for row in csv.reader(io.StringIO(text))]
    if not rows:
        raise ValidationError(_("The file is empty."))
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            _("Line 1: the header lacks the column(s) %(cols)s.") % {"cols": ", ".join(missing)}
        )
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        out.append(
            (number, {c: (row[header.index(c)] if header.index(c) < len(row) else "") for c in COLUMNS})
        )
    return out


def check_row(line: int, raw: dict, schools: dict[str, School]) -> tuple[RosterRow | None, list[str]]:
    problems: list[str] = []
    try:
        id_number = normalize_id_number(raw["id_number"])
    except ValidationError as exc:
        id_number = ""
        problems.append(_("ID number: %(error)s") % {"error": " ".join(exc.messages)})
    name = raw["name"].strip()
    if not name:
        problems.append(_("the name is empty"))
    gender = raw["gender"].upper()
    if gender not in ("M", "F"):
        problems.append(_("gender must be M or F"))
    try:
        birth_date = dt.date.fromisoformat(raw["birth_date"])
    except ValueError:
        birth_date = None
        problems.append(_("birth date “%(value)s” is not a date (YYYY-MM-DD)") % {"value": raw["birth_date"]})
    if birth_date and id_number and birth_date.strftime("%Y%m%d") != id_number[6:14]:
        problems.append(_("the birth date differs from the one in the ID number"))
    school = schools.get(raw["school_code"])
    if school is None:
        problems.append(_("unknown school code “%(code)s”") % {"code": raw["school_code"]})
    stage = raw["stage"]
    grade = None
    if stage not in GRADES:
        problems.append(_("stage must be primary or junior"))
    else:
        if school is not None and school.stage != stage:
            problems.append(
                _("%(school)s is not a %(stage)s school") % {"school": school.name, "stage": stage}
            )
        try:
            grade = int(raw["grade"])
        except ValueError:
            grade = None
        if grade not in GRADES[stage]:
            problems.append(
                _("grade %(grade)s is outside the %(stage)s grades (%(first)d–%(last)d)")
                % {
                    "grade": raw["grade"],
                    "stage": stage,
                    "first": GRADES[stage][0],
                    "last": GRADES[stage][-1],
                }
            )
    try:
        entry_year = int(raw["entry_year"])
        if not 1990 <= entry_year <= 2100:
            raise ValueError
    except ValueError:
        entry_year = None
        problems.append(_("entry year “%(value)s” is not a year") % {"value": raw["entry_year"]})
    if problems:
        return None, problems
    return (
        RosterRow(
            line, id_number, name, gender, birth_date, school, stage, grade, raw["class"][:40], entry_year
        ),
        [],
    )


def records_load(*, data: bytes, filename: str, by=None) -> LoadResult:
    """Check every row, then (only when all are good) create or update the records in one transaction."""
    result = LoadResult()
    try:
        raws = read_rows(data, filename)
    except ValidationError as exc:
        result.errors = exc.messages
        return result
    except (UnicodeDecodeError, csv.Error, OSError, ValueError, KeyError) as exc:
        result.errors = [_("The file cannot be read as CSV (UTF-8) or xlsx: %(error)s") % {"error": exc}]
        return result
    schools = {s.code: s for s in School.objects.filter(code__in={r["school_code"] for _n, r in raws})}
    rows, seen = [], {}
    for line, raw in raws:
        row, problems = check_row(line, raw, schools)
        if row is not None and row.id_number in seen:
            problems = [_("the same ID number as line %(line)d") % {"line": seen[row.id_number]}]
        if problems:
            result.errors.append(
                _("Line %(line)d: %(problems)s") % {"line": line, "problems": "; ".join(problems)}
            )
            continue
        seen[row.id_number] = line
        rows.append(row)
    if result.errors:
        return result
    with transaction.atomic():
        for row in rows:
            existed = _exists(row.id_number)
            _record, changed = record_enrol(
                id_number=row.id_number,
                name=row.name,
                school=row.school,
                stage=row.stage,
                entry_year=row.entry_year,
                grade=row.grade,
                gender=row.gender,
                birth_date=row.birth_date,
                class_name=row.class_name,
                by=by,
                action=HistoryAction.LOADED,
                note=_("Roster %(file)s, line %(line)d") % {"file": filename[-120:], "line": row.line},
            )
            if not changed:
                result.unchanged += 1
            elif existed:
                result.updated += 1
            else:
                result.created += 1
    return result


def _exists(id_number: str) -> bool:
    from studentstatus.services.records import record_by_id_number

    return record_by_id_number(id_number) is not None
