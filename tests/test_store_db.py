"""Storage: URLs, SQLite settings, migrations on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select, text, update

from healthqa.ingest.write import fill_display_titles
from healthqa.kb import open_kb
from healthqa.store import DatabaseURLError, connect, migrate
from healthqa.store.db import MIGRATIONS
from healthqa.store.models import Question, Source, Topic


def test_sqlite_file_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = open_kb(str(tmp_path / "sub" / "kb.db"))  # a plain path works; folders are made
    with engine.connect() as conn:
        assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
        assert conn.scalar(text("PRAGMA foreign_keys")) == 1
    assert (tmp_path / "sub" / "kb.db").exists()


def test_migrations_create_every_table_and_are_idempotent(engine: Engine) -> None:
    migrate(engine)  # second run: nothing to do
    tables = set(inspect(engine).get_table_names())
    assert {"sources", "topics", "questions", "answers", "alembic_version"} <= tables
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == _head()
        assert conn.scalar(text("SELECT count(*) FROM topics")) >= 15


OLD_QUESTIONS = {
    "GHR_0000001_Sec1": ("What is (are) Aarskog-Scott syndrome?", "Aarskog-Scott syndrome"),
    "MPlusHealthTopics_0000002_Sec1": ("What is (are) Kidney Stones?", "Kidney Stones"),
    "site-1": ("Can I take ibuprofen for a sprained ankle?", ""),
}
SHOWN = {
    "GHR_0000001_Sec1": "What is Aarskog-Scott syndrome?",
    "MPlusHealthTopics_0000002_Sec1": "What are kidney stones?",
    "site-1": "Can I take ibuprofen for a sprained ankle?",
}


def test_a_base_from_before_display_titles_gets_them_when_opened(db_url: str) -> None:
    """Migration 0005 adds questions.display_title empty (the store cannot compute it);
    open_kb fills every empty one, in batches, and a second fill finds nothing to do."""
    engine = connect(db_url)
    migrate(engine, "0004")
    with engine.begin() as conn:
        topic = conn.scalar(insert(Topic).values(slug="t", name="T").returning(Topic.id))
        source = conn.scalar(insert(Source).values(key="s", name="S").returning(Source.id))
        for external_id, (title, focus) in OLD_QUESTIONS.items():
            row = {"external_id": external_id, "title": title, "focus": focus}
            conn.execute(
                insert(Question).values(topic_id=topic, source_id=source, content_hash="x", **row)
            )
    engine.dispose()
    engine = open_kb(db_url)
    assert _display_titles(engine) == SHOWN
    assert fill_display_titles(engine) == 0
    with engine.begin() as conn:  # a change of the rules empties the column: it is redone
        conn.execute(update(Question).values(display_title=None))
    assert fill_display_titles(engine, batch=2) == 3
    assert _display_titles(engine) == SHOWN
    engine.dispose()


def _display_titles(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Question.external_id, Question.display_title)).all())


def _head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_postgres_urls_use_psycopg3() -> None:
    engine = connect("postgresql://user@localhost:5/db")
    assert engine.dialect.driver == "psycopg"


@pytest.mark.parametrize("url", ["mysql://x/y", "http://example.org/kb"])
def test_bad_urls_are_refused_clearly(url: str) -> None:
    with pytest.raises(DatabaseURLError, match="database"):
        connect(url)
