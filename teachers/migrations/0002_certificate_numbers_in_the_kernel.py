"""Certificate numbers move from the app's own counter to the kernel's number series
(portal.cases.NumberSeries, taken with ``number_take``): every counter's last number is carried over, so
the sequence goes on where it stopped. Reversible: the series go back into counters."""

from django.db import migrations

SERIES = "teachers.certificate:{year}:{district_code}:{stage}"  # teachers.services.certificate_series


def counters_to_series(apps, schema_editor):
    CertificateCounter = apps.get_model("teachers", "CertificateCounter")
    NumberSeries = apps.get_model("cases", "NumberSeries")
    for counter in CertificateCounter.objects.all():
        key = SERIES.format(year=counter.year, district_code=counter.district_code, stage=counter.stage)
        series, _ = NumberSeries.objects.get_or_create(key=key)
        if counter.last > series.last:
            series.last = counter.last
            series.save(update_fields=["last"])


def series_to_counters(apps, schema_editor):
    CertificateCounter = apps.get_model("teachers", "CertificateCounter")
    NumberSeries = apps.get_model("cases", "NumberSeries")
    for series in NumberSeries.objects.filter(key__startswith="teachers.certificate:"):
        _, year, district_code, stage = series.key.split(":")
        CertificateCounter.objects.update_or_create(
            year=int(year), district_code=district_code, stage=stage, defaults={"last": series.last}
        )
    NumberSeries.objects.filter(key__startswith="teachers.certificate:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_number_series"),
        ("teachers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(counters_to_series, series_to_counters),
        migrations.DeleteModel(name="CertificateCounter"),
    ]
