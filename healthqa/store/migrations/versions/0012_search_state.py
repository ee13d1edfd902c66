"""what the PostgreSQL search index last caught up with, so a server starts without a scan

`search_state` holds one row: the model and the watermark (searchable questions, their last
update) whose vectors `search_vectors` holds in full. Each web worker used to read every
question at start to find vectors missing or stale: 4 s and 48 MB kept at 200,000 questions,
growing with the base. Where the row matches the base, nothing is read.

`ix_questions_focus_lower`: the questions of one focus, for the related list a worker of a
large base makes without holding the base in memory (related/stored.py). A no-op on SQLite and
where migration 0009 made nothing.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _has_search_tables() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bind.execute(sa.text("SELECT to_regclass('search_vectors')")).scalar() is not None


def upgrade() -> None:
    if _has_search_tables():
        op.execute(
            """CREATE TABLE search_state (
                one boolean PRIMARY KEY DEFAULT true CHECK (one),
                model text NOT NULL,
                questions integer NOT NULL,
                last_update timestamptz
            )"""
        )
        op.execute("CREATE INDEX ix_questions_focus_lower ON questions (lower(focus))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_questions_focus_lower")
        op.execute("DROP TABLE IF EXISTS search_state")
