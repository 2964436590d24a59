from django.db import migrations

from portal.core.migration_ops import append_only


class Migration(migrations.Migration):
    """Packages, their checks and their downloads are written once: PostgreSQL refuses UPDATE and DELETE
    even from raw SQL (a no-op on SQLite)."""

    dependencies = [("archive", "0001_initial")]
    operations = [
        append_only("archive_archivepackage"),
        append_only("archive_packagecheck"),
        append_only("archive_packagedownload"),
    ]
