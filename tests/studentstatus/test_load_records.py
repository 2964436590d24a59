"""load_student_records FILE: CSV or xlsx, every bad row reported with its line, nothing half-loaded,
loading twice changes nothing (contracts/api-services.md)."""

import pytest
from django.core.management import CommandError, call_command

from studentstatus.models import HistoryAction, StudentRecord, StudentRecordHistory
from tests.i18n import zh, zh_format
from tests.studentstatus.conftest import new_id

HEADER = "id_number,name,gender,birth_date,school_code,stage,grade,class,entry_year\n"


def _row(
    id_number, *, name="张𠀀", gender="M", school="P1", stage="primary", grade="3", klass="3班", year="2024"
):
    born = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
    return f"{id_number},{name},{gender},{born},{school},{stage},{grade},{klass},{year}\n"


def _write(tmp_path, text, name="roster.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_csv_loads_and_loading_twice_changes_nothing(world, tmp_path, capsys):
    a, b = new_id("2018-01-02", male=True), new_id("2013-04-05", male=False)
    path = _write(tmp_path, HEADER + _row(a) + _row(b, gender="F", school="J1", stage="junior", grade="8"))
    call_command("load_student_records", path)
    assert "created 2" in capsys.readouterr().out
    record = StudentRecord.objects.get(name="张𠀀", school__code="J1")
    assert (record.grade, record.class_name, record.gender, record.student_no) == (8, "3班", "F", "G" + b)
    assert record.history.get().action == HistoryAction.LOADED
    call_command("load_student_records", path)
    assert "unchanged 2" in capsys.readouterr().out
    assert StudentRecordHistory.objects.count() == 2


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (
            lambda i: _row(i[:-1] + ("0" if i[-1] != "0" else "1")),
            zh("The check digit of this ID number is wrong; please check the number again."),
        ),
        (lambda i: _row(i, school="NOPE"), zh("unknown school code “%(code)s”")),
        (
            lambda i: _row(i, grade="8"),
            zh_format(
                "grade %(grade)s is outside the %(stage)s grades (%(first)d–%(last)d)",
                grade="8",
                stage="primary",
                first=1,
                last=6,
            ),
        ),
        (
            lambda i: _row(i, stage="junior", school="J1", grade="3"),
            zh_format(
                "grade %(grade)s is outside the %(stage)s grades (%(first)d–%(last)d)",
                grade="3",
                stage="junior",
                first=7,
                last=9,
            ),
        ),
        (
            lambda i: _row(i).replace(f"{i[6:10]}-{i[10:12]}-{i[12:14]}", "2018-02-30"),
            zh("birth date “%(value)s” is not a date (YYYY-MM-DD)"),
        ),
        (lambda i: _row(i, gender="X"), zh("gender must be M or F")),
    ],
)
def test_one_bad_row_is_reported_with_its_line_and_nothing_is_loaded(world, tmp_path, capsys, row, says):
    good, bad = new_id("2018-01-02", male=True), new_id("2018-03-04", male=True)
    path = _write(tmp_path, HEADER + _row(good) + row(bad))
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_student_records", path)
    err = capsys.readouterr().err
    assert zh_format("Line %(line)d: %(problems)s", line=3, problems="")[:-1] in err and says in err
    assert StudentRecord.objects.count() == 0


def test_xlsx_roster(world, tmp_path, capsys):
    from openpyxl import Workbook

    child = new_id("2019-06-07", male=False)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append([child, "赵𠀀", "F", "2019-06-07", "P2", "primary", 2, "2班", 2025])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    call_command("load_student_records", str(path))
    assert StudentRecord.objects.get().school.code == "P2"
