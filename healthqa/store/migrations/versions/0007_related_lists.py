"""related lists: each article's Related list, computed when the index is built

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "related_lists",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id"),
    )
    op.create_table(
        "related_items",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("why", sa.String(length=400), nullable=False),
        sa.Column("snippet", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["related_lists.question_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["related_id"], ["questions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id", "position"),
    )


def downgrade() -> None:
    op.drop_table("related_items")
    op.drop_table("related_lists")
