"""Certificate numbers come from the kernel's number series; the migration that moved the app's own
counters there carries every sequence on where it stopped (and back)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from portal.cases.models import NumberSeries
from teachers.services import certificate_series

BEFORE = [("teachers", "0001_initial"), ("cases", "0006_number_series")]
AFTER = [("teachers", "0002_certificate_numbers_in_the_kernel")]


@pytest.mark.django_db
def test_numbers_are_taken_from_the_kernels_series(apply, records):
    from sandbox import models as reg

    year = timezone.localdate().year
    key = certificate_series(year=year, district_code="330411", stage="junior")
    NumberSeries.objects.create(key=key, last=41)  # e.g. carried over from the app's old counter
    application = apply()
    assert application.certificate_no == f"{year}3304113000042"
    assert NumberSeries.objects.get(key=key).last == 42
    reg.TeacherExam.objects.filter(pk=records["exam"].pk).update(stage="senior")
    assert apply(stage="senior").certificate_no == f"{year}3304114000001"  # a series per stage


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_the_counters_over_and_back():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Counter = old.get_model("teachers", "CertificateCounter")
    Counter.objects.create(year=2026, district_code="330411", stage="junior", last=17)
    Counter.objects.create(year=2026, district_code="330411", stage="primary", last=3)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    series = dict(new.get_model("cases", "NumberSeries").objects.values_list("key", "last"))
    assert series == {
        "teachers.certificate:2026:330411:junior": 17,
        "teachers.certificate:2026:330411:primary": 3,
    }

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    back = executor.loader.project_state(BEFORE).apps
    counters = set(back.get_model("teachers", "CertificateCounter").objects.values_list("stage", "last"))
    assert counters == {("junior", 17), ("primary", 3)}
    assert not back.get_model("cases", "NumberSeries").objects.exists()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the other tests expect
