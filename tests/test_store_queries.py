"""Reading the knowledge base for an article page, on SQLite and PostgreSQL: what it reads and
keeps, and that every query behind the page and the search index's watermark finds its rows
through an index (SQLite's plan names no scan)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from healthqa.ingest import import_demo, import_jsonl
from healthqa.search.documents import WATERMARK
from healthqa.store.queries import (
    _ANSWERS,
    _ARTICLE,
    KeptTriage,
    keep_triage,
    published_article,
)

PENDING = {"id": "pending-1", "title": "A pending question about a rash", "status": "pending"}


def _with_demo(engine: Engine, folder: Path) -> Engine:
    import_demo(engine)
    (folder / "extra.jsonl").write_text(json.dumps(PENDING | {"topic": "skin-hair-nails"}))
    import_jsonl(engine, folder / "extra.jsonl")
    return engine


@pytest.fixture
def demo(engine: Engine, tmp_path: Path) -> Engine:
    """The demo corpus and a pending question, on SQLite and on PostgreSQL."""
    return _with_demo(engine, tmp_path)


@pytest.fixture
def demo_sqlite(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    return _with_demo(sqlite_engine, tmp_path)


def test_an_article_reads_its_question_source_answers_and_kept_triage(demo: Engine) -> None:
    row = published_article(demo, "demo-0001")
    assert row is not None
    assert (row.topic, row.source.key, row.triage) == ("womens-health", "demo", None)
    assert [a.author for a in row.answers] == [
        "Dr. Amara Okafor",
        "Dr. Tomás Lindqvist",
        "Daniel Osei",
    ]
    assert row.created_at.tzinfo is not None  # read back in UTC, as the ORM reads it
    keep_triage(demo, [(row.id, "k1", {"level": "routine", "flags": [], "checked": True})])
    keep_triage(demo, [(row.id, "k2", {"level": "routine", "flags": [], "checked": False})])
    again = published_article(demo, "demo-0001")
    assert again is not None
    assert again.triage == KeptTriage("k2", {"level": "routine", "flags": [], "checked": False})


def test_a_pending_or_unknown_question_has_no_article(demo: Engine) -> None:
    assert published_article(demo, "pending-1") is None
    assert published_article(demo, "no-such-question") is None


def _plan(engine: Engine, statement: Any, values: dict[str, object]) -> str:
    compiled = statement.compile(dialect=engine.dialect)
    params = compiled.construct_params(values)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(params[name] for name in compiled.positiontup)
        )
        return "\n".join(str(r[-1]) for r in rows)


def test_the_queries_behind_a_page_use_indexes(demo_sqlite: Engine) -> None:
    plans = {
        "article": _plan(demo_sqlite, _ARTICLE, {"external_id": "demo-0001"}),
        "answers": _plan(demo_sqlite, _ANSWERS, {"question_id": 1}),
        "watermark": _plan(demo_sqlite, WATERMARK, {}),
    }
    for name, plan in plans.items():
        assert not re.search(r"\bSCAN (?!CONSTANT ROW)", plan), f"{name}: {plan}"  # a table's
    assert "COVERING INDEX ix_questions_updated" in plans["watermark"]
