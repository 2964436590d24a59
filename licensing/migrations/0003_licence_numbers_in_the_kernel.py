"""Licence numbers move from the app's own counter to the kernel's number series
(portal.cases.NumberSeries, taken with ``number_take``), as teachers' certificate numbers did: every
counter's last number is carried over, so the sequence goes on where it stopped. Reversible."""

from django.db import migrations

SERIES = "licensing.licence:{year}:{district_code}"  # licensing.services.licence_series


def counters_to_series(apps, schema_editor):
    LicenceCounter = apps.get_model("licensing", "LicenceCounter")
    NumberSeries = apps.get_model("cases", "NumberSeries")
    for counter in LicenceCounter.objects.all():
        key = SERIES.format(year=counter.year, district_code=counter.district_code)
        series, _ = NumberSeries.objects.get_or_create(key=key)
        if counter.last > series.last:
            series.last = counter.last
            series.save(update_fields=["last"])


def series_to_counters(apps, schema_editor):
    LicenceCounter = apps.get_model("licensing", "LicenceCounter")
    NumberSeries = apps.get_model("cases", "NumberSeries")
    for series in NumberSeries.objects.filter(key__startswith="licensing.licence:"):
        _, year, district_code = series.key.split(":")
        LicenceCounter.objects.update_or_create(
            year=int(year), district_code=district_code, defaults={"last": series.last}
        )
    NumberSeries.objects.filter(key__startswith="licensing.licence:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_number_series"),
        ("licensing", "0002_materials_per_kind_published_draw"),
    ]

    operations = [
        migrations.RunPython(counters_to_series, series_to_counters),
        migrations.DeleteModel(name="LicenceCounter"),
    ]
