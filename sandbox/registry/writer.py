"""Fast bulk writes into the registry tables: COPY on PostgreSQL, executemany elsewhere.

The seeder writes around a million rows for 100,000 households; building model instances and going through
``bulk_create`` for each would dominate the time, so rows are plain tuples in the order of the model's
concrete fields and go straight to the database driver. Callers wrap the writer in a transaction.
"""

import csv
import io

from django.core.management.color import no_style
from django.db import connection

from sandbox.models import REGISTRY_MODELS


def columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


class BulkWriter:
    """Buffer rows per table; flush every table in dependency order once ``batch`` rows are waiting."""

    def __init__(self, *, batch: int = 20_000):
        self.batch = batch
        self.buffers: dict[type, list[tuple]] = {model: [] for model in REGISTRY_MODELS}
        self.pending = 0
        self.counts: dict[str, int] = {model.__name__: 0 for model in REGISTRY_MODELS}
        self._sql = {model: self._insert_sql(model) for model in REGISTRY_MODELS}
        self._widths = {model: len(columns(model)) for model in REGISTRY_MODELS}

    @staticmethod
    def _insert_sql(model) -> str:
        qn = connection.ops.quote_name
        cols = columns(model)
        if connection.vendor == "postgresql":
            return (
                f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "
                r"FROM STDIN WITH (FORMAT csv, NULL '\N')"
            )
        return (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(cols))})"
        )

    def add(self, model, row: tuple) -> None:
        if len(row) != self._widths[model]:
            raise ValueError(f"{model.__name__} rows have {self._widths[model]} columns, got {len(row)}")
        self.buffers[model].append(row)
        self.pending += 1
        if self.pending >= self.batch:
            self.flush()

    def add_all(self, pairs) -> None:
        for model, row in pairs:
            self.add(model, row)

    def flush(self) -> None:
        with connection.cursor() as cursor:
            for model in REGISTRY_MODELS:
                buffered = self.buffers[model]
                if not buffered:
                    continue
                if connection.vendor == "postgresql":
                    out = io.StringIO()
                    writer = csv.writer(out, lineterminator="\n")
                    writer.writerows(tuple(r"\N" if v is None else v for v in row) for row in buffered)
                    out.seek(0)
                    cursor.cursor.copy_expert(self._sql[model], out)
                else:
                    cursor.executemany(self._sql[model], buffered)
                self.counts[model.__name__] += len(buffered)
                self.buffers[model] = []
        self.pending = 0


def empty_registries() -> None:
    """Delete every registry row (not the SMS inbox, not the fault settings), as ``manage.py flush`` would."""
    tables = [model._meta.db_table for model in REGISTRY_MODELS]
    if connection.vendor == "postgresql":  # TRUNCATE refuses while deferred FK checks of earlier inserts wait
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, reset_sequences=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
