from django.db import migrations

from portal.core.migration_ops import append_only


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [append_only("payments_paymentnotification", time_column="received_at")]
