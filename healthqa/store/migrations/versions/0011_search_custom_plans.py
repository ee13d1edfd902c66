"""the full-text trigger plans each call for the table as it is now

`search_index_question` (migration 0009) runs for every question and answer written. PL/pgSQL
keeps a generic plan of its queries after five calls, made from the statistics of that moment:
a first import into an empty base kept plans for empty tables, and each later row scanned what
the import had written so far. Imports grew with the square of their size: the same synthetic
questions (bench/synthetic.py) took 5 s for 5,000 and 33 s for 20,000; with a fresh plan per
call, 5 s and 15 s; 200,000 ran past 20 minutes. A no-op on SQLite and where 0009 made nothing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "search_index_question(integer)"


def _has_function() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(sa.text("SELECT to_regprocedure(:f)"), {"f": FUNCTION}).scalar()
    return found is not None


def upgrade() -> None:
    if _has_function():
        op.execute(f"ALTER FUNCTION {FUNCTION} SET plan_cache_mode = force_custom_plan")


def downgrade() -> None:
    if _has_function():
        op.execute(f"ALTER FUNCTION {FUNCTION} RESET plan_cache_mode")
