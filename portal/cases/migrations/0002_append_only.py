from django.db import migrations

from portal.core.migration_ops import append_only


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [append_only("cases_caseevent")]
