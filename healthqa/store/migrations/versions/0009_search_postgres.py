"""search in PostgreSQL: full-text (tsvector, GIN) and vectors (pgvector, HNSW)

On PostgreSQL with the pgvector extension available, creates the tables of the `postgresql`
search backend (healthqa/search/backends/postgres.py):

- `search_lexemes`: one tsvector per published question, weighted A (title, focus, synonyms),
  B (the asker's words), C (the start of the first answer), kept by triggers on `questions`
  and `answers`, so every writer (imports, experts, moderators) updates it in its own
  transaction and every server sees the change at once;
- `search_terms`: the document frequency of each lexeme, made by the search index's build;
- `search_vectors`: one MiniLM vector per published question with the cache key of the text
  it embeds, written by the search index (embedding needs the model), dropped by the same
  trigger when a question stops being published.

A no-op on SQLite, and on PostgreSQL without pgvector (the embedded backend is used there).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANSWER_CHARS = 2_000  # as search/documents.py: the start of the first answer is enough

TABLES = [
    """CREATE TABLE search_lexemes (
        question_id integer PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
        lexemes tsvector NOT NULL
    )""",
    "CREATE INDEX ix_search_lexemes ON search_lexemes USING gin (lexemes)",
    """CREATE TABLE search_vectors (
        question_id integer PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
        key varchar(64) NOT NULL,
        vector vector(384) NOT NULL
    )""",
    "CREATE INDEX ix_search_vectors ON search_vectors USING hnsw (vector vector_cosine_ops)",
    # in how many questions each lexeme is, as of the last build: the search matches on the
    # rarest words of a query (search/backends/postgres.py)
    "CREATE TABLE search_terms (lexeme text PRIMARY KEY, documents integer NOT NULL)",
]

# One question's lexemes, or none once it is not published (its vector goes too).
INDEX_QUESTION = f"""
CREATE FUNCTION search_index_question(qid integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_lexemes (question_id, lexemes)
    SELECT q.id,
        setweight(to_tsvector('english', q.title || ' ' || coalesce(q.focus, '') || ' '
            || coalesce((SELECT string_agg(s, ' ') FROM json_array_elements_text(q.synonyms) s),
                        '')), 'A')
        || setweight(to_tsvector('english', coalesce(q.body, '')), 'B')
        || setweight(to_tsvector('english', coalesce((
            SELECT substr(a.body, 1, {ANSWER_CHARS}) FROM answers a
            WHERE a.question_id = q.id AND a.position = 0 AND a.status = 'published'
            ORDER BY a.id LIMIT 1), '')), 'C')
    FROM questions q
    WHERE q.id = qid AND q.status = 'published'
    ON CONFLICT (question_id) DO UPDATE SET lexemes = excluded.lexemes;
    IF NOT FOUND THEN
        DELETE FROM search_lexemes WHERE question_id = qid;
        DELETE FROM search_vectors WHERE question_id = qid;
    END IF;
END $$
"""

TRIGGERS = [
    """CREATE FUNCTION search_question_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_index_question(NEW.id);
    RETURN NULL;
END $$""",
    """CREATE TRIGGER search_question_changed
    AFTER INSERT OR UPDATE OF title, body, focus, synonyms, status ON questions
    FOR EACH ROW EXECUTE FUNCTION search_question_changed()""",
    """CREATE FUNCTION search_answer_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM search_index_question(OLD.question_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.question_id <> OLD.question_id) THEN
        PERFORM search_index_question(NEW.question_id);
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER search_answer_changed
    AFTER INSERT OR DELETE OR UPDATE OF body, status, position, question_id ON answers
    FOR EACH ROW EXECUTE FUNCTION search_answer_changed()""",
]


def _has_pgvector() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"))
    return found.first() is not None


def upgrade() -> None:
    if not _has_pgvector():
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    for statement in [*TABLES, INDEX_QUESTION, *TRIGGERS]:
        op.execute(statement)
    op.execute("SELECT count(search_index_question(id)) FROM questions")  # the base so far


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS search_answer_changed ON answers")
    op.execute("DROP TRIGGER IF EXISTS search_question_changed ON questions")
    op.execute("DROP FUNCTION IF EXISTS search_answer_changed()")
    op.execute("DROP FUNCTION IF EXISTS search_question_changed()")
    op.execute("DROP FUNCTION IF EXISTS search_index_question(integer)")
    op.execute("DROP TABLE IF EXISTS search_terms")
    op.execute("DROP TABLE IF EXISTS search_vectors")
    op.execute("DROP TABLE IF EXISTS search_lexemes")
