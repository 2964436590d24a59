"""Database-level guards that PostgreSQL enforces even against raw SQL."""

from django.db import migrations

RETENTION_DAYS = 183  # audit logs are kept at least six months (DOMAIN.md, personal information)


def append_only(table: str, *, time_column: str | None = None) -> migrations.RunPython:
    """Forbid UPDATE on ``table``; forbid DELETE too, or only of rows younger than the retention period
    when ``time_column`` is given. A no-op on SQLite (the demo database)."""

    delete_guard = (
        f"IF TG_OP = 'DELETE' AND OLD.{time_column} > now() - interval '{RETENTION_DAYS} days' THEN "
        f"RAISE EXCEPTION '{table} rows are kept {RETENTION_DAYS} days'; END IF; RETURN OLD;"
        if time_column
        else f"RAISE EXCEPTION '{table} rows are append-only';"
    )
    forward_sql = f"""
        CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION '{table} rows are append-only'; END IF;
            {delete_guard}
        END $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {table}_append_only ON {table};
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
    """
    reverse_sql = f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(forward_sql)

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(reverse_sql)

    return migrations.RunPython(forward, backward)
