"""questions deleted outright, recorded by a trigger, so the watermark is cheap at any size

The search index's watermark was the count of searchable questions and their latest update,
read every second by every worker. The count told it a question was deleted outright (an asker
deleting their own). On PostgreSQL a count reads the whole table: 190 ms at a million
questions, every second, in every worker, and every 20th ask waited for it.

Now the watermark is the latest update of any question (`ix_questions_updated`: one index
look-up; hiding a question updates it too) and the last row of `question_deletions`, which a
trigger fills on every delete, whoever deletes. PostgreSQL's `search_state` records the same
two values: its old row, holding a count, is dropped, and the next worker start scans once.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGER = """CREATE TRIGGER tr_questions_deleted AFTER DELETE ON questions
    BEGIN INSERT INTO question_deletions (question_id) VALUES (OLD.id); END"""
# One statement's deleted rows at once: a bulk delete is not a million single inserts.
POSTGRES_FUNCTION = """CREATE FUNCTION questions_deleted() RETURNS trigger AS $$
    BEGIN
        INSERT INTO question_deletions (question_id) SELECT id FROM gone ORDER BY id;
        RETURN NULL;
    END $$ LANGUAGE plpgsql"""
POSTGRES_TRIGGER = """CREATE TRIGGER tr_questions_deleted AFTER DELETE ON questions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION questions_deleted()"""


def upgrade() -> None:
    op.create_table(
        "question_deletions",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index("ix_questions_updated", ["updated_at"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
        if bind.execute(sa.text("SELECT to_regclass('search_state')")).scalar() is not None:
            op.execute("DELETE FROM search_state")
            op.execute("ALTER TABLE search_state RENAME COLUMN questions TO deletions")
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    bind = op.get_bind()
    op.execute(
        "DROP TRIGGER IF EXISTS tr_questions_deleted"
        + (" ON questions" if bind.dialect.name == "postgresql" else "")
    )
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS questions_deleted()")
        if bind.execute(sa.text("SELECT to_regclass('search_state')")).scalar() is not None:
            op.execute("DELETE FROM search_state")
            op.execute("ALTER TABLE search_state RENAME COLUMN deletions TO questions")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_updated")
    op.drop_table("question_deletions")
