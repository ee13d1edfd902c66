"""reading counts: views and asks per question and day

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reading_counts",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("asks", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id", "day"),
    )
    with op.batch_alter_table("reading_counts", schema=None) as batch_op:
        batch_op.create_index("ix_reading_counts_day", ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reading_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_reading_counts_day")
    op.drop_table("reading_counts")
