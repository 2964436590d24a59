"""Excel in and out (openpyxl): attendance-zone lists imported by bureau staff, and the early-warning table.

Zone list format (first sheet, first row = headers, English or Chinese):

| school_code 学校代码 | community_code 社区代码 | community_name 社区名称 | lat 纬度 | lng 经度 |

One row per community in a school's zone. Each school named in the file gets exactly the communities
listed for it (its old zone is replaced); other schools are untouched. A community code not yet known
is created in the school's district when the row gives its name. All or nothing: one bad row rejects
the file, and the error names the row.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from portal.orgs.models import Community, School

HEADERS = {
    "school_code": ("school_code", "学校代码", "school"),
    "community_code": ("community_code", "社区代码", "community"),
    "community_name": ("community_name", "社区名称", "name"),
    "lat": ("lat", "纬度", "latitude"),
    "lng": ("lng", "经度", "longitude"),
}
MAX_ROWS = 20000
FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE"}


class ZoneFileError(ValueError):
    """The file cannot be imported; the message names the row."""


@dataclass
class ZoneImportSummary:
    schools: int
    communities: int
    created: int


def _cell(value) -> str:
    return "" if value is None else str(value).strip()


def _coord(value, row: int, name: str, low: float, high: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ZoneFileError(
            _("Row %(row)d: %(name)s is not a number.") % {"row": row, "name": name}
        ) from None
    if not low <= number <= high:
        raise ZoneFileError(
            _("Row %(row)d: %(name)s must be between %(low)s and %(high)s.")
            % {"row": row, "name": name, "low": low, "high": high}
        )
    return number


def read_zone_rows(data: bytes) -> list[dict]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not xlsx
        raise ZoneFileError(_("This is not an Excel (.xlsx) file.")) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_cell(h).lower() for h in next(rows, ())]
    columns = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                columns[key] = i
    missing = [k for k in ("school_code", "community_code") if k not in columns]
    if missing:
        raise ZoneFileError(
            _("The first row must name the columns school_code (学校代码) and community_code (社区代码).")
        )
    out = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise ZoneFileError(_("The file has more than %(n)d rows.") % {"n": MAX_ROWS})
        get = {k: (values[i] if i < len(values) else None) for k, i in columns.items()}
        if not any(_cell(v) for v in get.values()):
            continue
        out.append({"row": number, **get})
    workbook.close()
    return out


@transaction.atomic
def import_zones(data: bytes, *, district=None) -> ZoneImportSummary:
    """Import an attendance-zone list (see the module docstring). ``district`` limits the schools to one
    district (bureau staff import their own)."""
    rows = read_zone_rows(data)
    if not rows:
        raise ZoneFileError(_("The file lists no communities."))
    schools = School.objects.select_related("district")
    if district is not None:
        schools = schools.filter(district=district)
    by_code = {s.code: s for s in schools.filter(code__in={_cell(r["school_code"]) for r in rows})}
    known = {c.code: c for c in Community.objects.filter(code__in={_cell(r["community_code"]) for r in rows})}
    zones: dict[School, list[Community]] = defaultdict(list)
    created = 0
    for r in rows:
        row, school_code, code = r["row"], _cell(r["school_code"]), _cell(r["community_code"])
        school = by_code.get(school_code)
        if school is None:
            raise ZoneFileError(
                _("Row %(row)d: no school %(code)s in your district.") % {"row": row, "code": school_code}
            )
        if not code:
            raise ZoneFileError(_("Row %(row)d: the community code is empty.") % {"row": row})
        lat = _coord(r.get("lat"), row, "lat", -90, 90)
        lng = _coord(r.get("lng"), row, "lng", -180, 180)
        community = known.get(code)
        if community is None:
            name = _cell(r.get("community_name"))
            if not name:
                raise ZoneFileError(
                    _("Row %(row)d: community %(code)s is new; give its name.") % {"row": row, "code": code}
                )
            community = Community.objects.create(
                district=school.district, code=code, name=name[:200], lat=lat, lng=lng
            )
            known[code] = community
            created += 1
        elif community.district_id != school.district_id:
            raise ZoneFileError(
                _("Row %(row)d: community %(code)s belongs to another district.") % {"row": row, "code": code}
            )
        elif lat is not None and lng is not None and (community.lat, community.lng) != (lat, lng):
            Community.objects.filter(pk=community.pk).update(lat=lat, lng=lng)
        zones[school].append(community)
    for school, communities in zones.items():
        school.zone.set(communities)
    return ZoneImportSummary(
        schools=len(zones), communities=sum(len(c) for c in zones.values()), created=created
    )


def zone_template() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "施教区"
    sheet.append(["school_code", "community_code", "community_name", "lat", "lng"])
    sheet.append(["P001", "330411101", "新城社区", 30.77, 120.70])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def early_warning_workbook(forecasts, *, district, stage_label: str) -> bytes:
    """The early-warning table: one row per school and year, coloured green / yellow / red."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "学位预警"
    sheet.append([f"{district.name} {stage_label} 学位预警"])
    sheet["A1"].font = Font(bold=True, size=13)
    header = [
        "学校代码",
        "学校",
        "施教区社区数",
        "入学年份",
        "户籍适龄儿童",
        "新购房折算",
        "预计需求",
        "学位",
        "需求/学位",
        "预警",
    ]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    labels = {"green": "绿", "yellow": "黄", "red": "红"}
    for f in forecasts:
        for y in f.years:
            sheet.append(
                [
                    f.code,
                    f.name,
                    f.communities,
                    y.year,
                    y.cohort,
                    float(y.from_purchases),
                    y.demand,
                    y.seats,
                    float(y.ratio) if y.ratio is not None else None,
                    labels[y.level],
                ]
            )
            sheet.cell(row=sheet.max_row, column=10).fill = PatternFill("solid", fgColor=FILLS[y.level])
    for column, width in zip("ABCDEFGHIJ", (12, 24, 12, 10, 14, 12, 10, 8, 10, 8), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
