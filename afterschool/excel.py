"""The pick-up roster as an Excel workbook (openpyxl): one sheet per leave-time slot, in the language of
the request (Chinese by default), phones masked as on the page."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.cases.services import BUREAU_TZ


def _collectors(row) -> str:
    return "；".join(f"{c.name}（{c.relation}）{c.masked_phone}" for c in row.collectors)


def roster_workbook(sections, *, school, day) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    header = [
        _("Grade"),
        _("Class"),
        _("Pupil"),
        _("Guardian"),
        _("Guardian's phone"),
        _("Also may collect"),
        _("Collected by"),
        _("Collected at"),
    ]
    for section in sections or [None]:
        title = f"{section.slot.leave_at.replace(':', '')} {section.program.name}" if section else _("Roster")
        sheet = workbook.create_sheet(title=title[:31])
        heading = f"{school.name} {day:%Y-%m-%d}"
        if section:
            heading += " " + _("leaving at %(slot)s") % {"slot": section.slot.leave_at}
        sheet.append([heading])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in section.rows if section else []:
            pickup = row.pickup
            sheet.append(
                [
                    row.grade,
                    row.class_name,
                    row.student_name,
                    row.guardian_name,
                    row.guardian_phone,
                    _collectors(row),
                    pickup.collected_by if pickup else "",
                    timezone.localtime(pickup.collected_at, BUREAU_TZ).strftime("%H:%M") if pickup else "",
                ]
            )
        for column, width in zip("ABCDEFGH", (6, 10, 14, 12, 14, 40, 16, 10), strict=True):
            sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
