"""Open the knowledge base: connect, bring the schema up to date, and keep topics in sync."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from healthqa.config import load_settings
from healthqa.ingest import ImportSummary, import_demo
from healthqa.ingest.topics import load_rules
from healthqa.ingest.write import sync_topics
from healthqa.store.db import connect, migrate
from healthqa.store.models import Question


def open_kb(url: str | None = None) -> Engine:
    """The knowledge base at `url` (default: the configured one), migrated and ready."""
    settings = load_settings(database_url=url)
    engine = connect(settings.database_url)
    migrate(engine)
    with engine.begin() as conn:
        sync_topics(conn, load_rules(settings.topics_file))
    return engine


def load_demo_if_empty(engine: Engine) -> ImportSummary | None:
    """First start: an empty base gets the bundled demo corpus, so the site has content."""
    with engine.connect() as conn:
        if conn.scalar(select(func.count(Question.id))):
            return None
    return import_demo(engine)
