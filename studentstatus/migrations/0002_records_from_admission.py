"""The student records (学籍) admission kept until now move here, data kept: each row is copied (the
encrypted 学籍号 read through the field and written again), its link to an enrollment application becomes
the application's case, gender and birth date come from the ID number, and a first history row says
where the record came from. Admission's table is dropped after this (admission 0003)."""

import datetime as dt

from django.db import migrations

from portal.core.migration_ops import append_only


def copy_records(apps, schema_editor):
    Old = apps.get_model("admission", "StudentRecord")
    New = apps.get_model("studentstatus", "StudentRecord")
    History = apps.get_model("studentstatus", "StudentRecordHistory")
    for old in Old.objects.select_related("application").order_by("pk").iterator():
        id_number = old.student_no[1:]
        try:
            birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
            gender = "M" if int(id_number[16]) % 2 else "F"
        except (ValueError, IndexError):
            birth, gender = None, ""
        new = New.objects.create(
            student_no=old.student_no,
            student_no_hash=old.student_no_hash,
            name=old.name,
            gender=gender,
            birth_date=birth,
            school_id=old.school_id,
            stage=old.stage,
            entry_year=old.entry_year,
            grade=old.grade,
            status=old.status or "enrolled",
            source_case_id=old.application.case_id,
        )
        New.objects.filter(pk=new.pk).update(created_at=old.created_at)
        History.objects.create(
            record=new,
            action="created",
            case_id=old.application.case_id,
            changes={"school_id": [None, old.school_id], "grade": [None, old.grade], "status": [None, new.status]},
            note="moved from admission (migration)",
        )


def copy_back(apps, schema_editor):
    Old = apps.get_model("admission", "StudentRecord")
    New = apps.get_model("studentstatus", "StudentRecord")
    Application = apps.get_model("enrollment", "Application")
    for new in New.objects.order_by("pk").iterator():
        application = Application.objects.filter(case_id=new.source_case_id).first()
        if application is None:
            continue  # a record loaded from a roster has no admission to go back to
        Old.objects.create(
            application=application,
            student_no=new.student_no,
            student_no_hash=new.student_no_hash,
            name=new.name,
            school_id=new.school_id,
            stage=new.stage,
            entry_year=new.entry_year,
            grade=new.grade,
            status=new.status,
        )
    apps.get_model("studentstatus", "StudentRecordHistory").objects.all().delete()
    New.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("studentstatus", "0001_initial"),
        ("admission", "0002_placement_round_run_unindexed"),
        ("enrollment", "0001_initial"),
    ]
    operations = [
        migrations.RunPython(copy_records, copy_back),
        append_only("studentstatus_studentrecordhistory"),
    ]
