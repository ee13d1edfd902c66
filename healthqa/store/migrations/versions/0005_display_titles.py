"""display titles: questions.display_title, the title as pages show it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00.000000

The column starts empty: the rules that fill it live in healthqa/ingest/titles.py, which the
store does not import. `healthqa.kb.open_kb` fills every empty one after migrating, in batches
(`healthqa.ingest.write.fill_display_titles`), so an existing base gets its display titles on
its next start; a later change of the rules can empty the column again to have them redone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_title", sa.String(length=600), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("display_title")
