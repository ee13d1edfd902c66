"""Storage: URLs, SQLite settings, migrations on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from healthqa.kb import open_kb
from healthqa.store import DatabaseURLError, connect, migrate
from healthqa.store.db import MIGRATIONS


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
