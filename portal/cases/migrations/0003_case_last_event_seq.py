from django.db import migrations, models

# Existing cases start from their trace's highest seq.
BACKFILL = """
UPDATE cases_case SET last_event_seq = COALESCE(
    (SELECT MAX(e.seq) FROM cases_caseevent e WHERE e.case_id = cases_case.id), 0
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="last_event_seq",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
