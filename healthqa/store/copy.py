"""Move a whole site from one database to another (SQLite to PostgreSQL, or back): accounts,
questions, answers, revisions, flags, the audit log, the embedding cache, every table.

Tables are copied parent first, in batches by primary key, each batch its own transaction, and a
row already in the target is skipped: an interrupted copy resumes where it stopped when run
again. The target must be empty or hold an earlier, interrupted copy of the same source. At the
end the row counts of every table must agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Engine, Integer, Table, func, select, text, tuple_

from healthqa.store.db import migrate
from healthqa.store.models import Base

BATCH = 2_000  # rows per transaction: small enough to resume cheaply, big enough to be quick


class CopyMismatch(Exception):
    """After the copy, some tables hold a different number of rows than in the source."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    source_rows: int
    copied: int  # rows this run wrote; the others were there already
    target_rows: int


def copy_database(
    source: Engine, target: Engine, progress: Callable[[str, int], None] | None = None
) -> list[TableCopy]:
    """Copy every table of `source` into `target` (both brought to the current schema first);
    `progress(table, rows)` hears of each batch. CopyMismatch when the counts differ at the end."""
    migrate(source)
    migrate(target)
    report = [_copy_table(source, target, table, progress) for table in Base.metadata.sorted_tables]
    if target.url.get_backend_name() == "postgresql":
        _reset_sequences(target)
    wrong = [r for r in report if r.source_rows != r.target_rows]
    if wrong:
        shown = ", ".join(f"{r.table} {r.source_rows} -> {r.target_rows}" for r in wrong)
        raise CopyMismatch(f"row counts differ after the copy: {shown}")
    return report


def rows_to_copy(source: Engine) -> int:
    """How many rows `copy_database` reads from `source` (for a progress bar)."""
    migrate(source)
    return sum(_count(source, table) for table in Base.metadata.sorted_tables)


def _copy_table(
    source: Engine, target: Engine, table: Table, progress: Callable[[str, int], None] | None
) -> TableCopy:
    keys = list(table.primary_key.columns)
    copied, last = 0, None
    while rows := _batch(source, table, keys, last):
        last = tuple(rows[-1][key.name] for key in keys)
        fresh = _not_in(target, table, keys, rows)
        if fresh:
            with target.begin() as conn:
                conn.execute(table.insert(), fresh)
            copied += len(fresh)
        if progress:
            progress(table.name, len(rows))
    return TableCopy(table.name, _count(source, table), copied, _count(target, table))


def _batch(
    engine: Engine, table: Table, keys: Sequence[Column[Any]], after: tuple[Any, ...] | None
) -> list[dict[str, Any]]:
    """The next BATCH rows of `table` after the primary key `after`, in key order."""
    query = select(table).order_by(*keys).limit(BATCH)
    if after is not None:
        query = query.where(tuple_(*keys) > tuple_(*after))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _not_in(
    engine: Engine, table: Table, keys: Sequence[Column[Any]], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows whose primary key the target does not hold yet."""
    wanted = [tuple(row[key.name] for key in keys) for row in rows]
    with engine.connect() as conn:
        present = set(map(tuple, conn.execute(select(*keys).where(tuple_(*keys).in_(wanted)))))
    return [row for row, key in zip(rows, wanted, strict=True) if key not in present]


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def _reset_sequences(engine: Engine) -> None:
    """Rows came with their ids: move each id sequence past them, or the next insert clashes."""
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            (column, *more) = table.primary_key.columns
            if not more and isinstance(column.type, Integer):
                conn.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence(:t, :c), "
                        f"coalesce((SELECT max({column.name}) FROM {table.name}), 0) + 1, "
                        "false) WHERE pg_get_serial_sequence(:t, :c) IS NOT NULL"
                    ),
                    {"t": table.name, "c": column.name},
                )
