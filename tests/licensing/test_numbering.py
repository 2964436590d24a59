"""Licence numbers come from the kernel's number series (as teachers' certificate numbers do); the
migration that moved licensing's own counters there carries every sequence on where it stopped (and back)."""

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from licensing.services import allocate_licence_no, licence_series
from portal.cases.models import NumberSeries

BEFORE = [("licensing", "0002_materials_per_kind_published_draw"), ("cases", "0006_number_series")]
AFTER = [("licensing", "0003_licence_numbers_in_the_kernel")]


@pytest.mark.django_db
def test_licence_numbers_go_on_from_the_series_and_a_rollback_gives_the_number_back():
    NumberSeries.objects.create(key=licence_series(district_code="330411", year=2027), last=41)
    assert allocate_licence_no(district_code="330411", year=2027) == "教民330411202700042号"
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_licence_no(district_code="330411", year=2027)
        raise RuntimeError("the issue failed after the number was taken")
    assert allocate_licence_no(district_code="330411", year=2027) == "教民330411202700043号"
    assert allocate_licence_no(district_code="330412", year=2027) == "教民330412202700001号"  # per district


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_the_counters_over_and_back():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Counter = old.get_model("licensing", "LicenceCounter")
    Counter.objects.create(year=2026, district_code="330411", last=17)
    Counter.objects.create(year=2025, district_code="330411", last=3)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    series = dict(new.get_model("cases", "NumberSeries").objects.values_list("key", "last"))
    assert series == {"licensing.licence:2026:330411": 17, "licensing.licence:2025:330411": 3}

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    back = executor.loader.project_state(BEFORE).apps
    counters = set(back.get_model("licensing", "LicenceCounter").objects.values_list("year", "last"))
    assert counters == {(2026, 17), (2025, 3)}
    assert not back.get_model("cases", "NumberSeries").objects.filter(key__startswith="licensing.").exists()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the other tests expect
