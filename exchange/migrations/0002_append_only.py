from django.db import migrations

from portal.core.migration_ops import append_only

# An authorisation is written once; the only change allowed is setting revoked_at, once. Never deleted.
AUTHORISATION_GUARD = """
    CREATE OR REPLACE FUNCTION exchange_authorisation_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'exchange_authorisation rows are kept; revoke instead'; END IF;
        IF OLD.revoked_at IS NOT NULL
           OR (to_jsonb(NEW) - 'revoked_at') IS DISTINCT FROM (to_jsonb(OLD) - 'revoked_at') THEN
            RAISE EXCEPTION 'exchange_authorisation rows are not edited; only revoked once';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql;
    DROP TRIGGER IF EXISTS exchange_authorisation_guard ON exchange_authorisation;
    CREATE TRIGGER exchange_authorisation_guard BEFORE UPDATE OR DELETE ON exchange_authorisation
        FOR EACH ROW EXECUTE FUNCTION exchange_authorisation_guard();
"""
AUTHORISATION_UNGUARD = "DROP TRIGGER IF EXISTS exchange_authorisation_guard ON exchange_authorisation;"


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUTHORISATION_GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUTHORISATION_UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]
    operations = [
        append_only("exchange_lookup", time_column="at"),
        migrations.RunPython(guard, unguard),
    ]
