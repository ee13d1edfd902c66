"""Open the knowledge base: connect, bring the schema up to date, keep topics in sync; and the
one-call `ask` for Python users.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select

from healthqa.config import Settings, load_settings
from healthqa.ingest import ImportSummary, import_demo
from healthqa.ingest.topics import load_rules
from healthqa.ingest.write import sync_topics
from healthqa.search.ask import AskResult
from healthqa.search.ask import ask as ask_index
from healthqa.search.index import SearchIndex
from healthqa.store.db import connect, migrate
from healthqa.store.models import Question
from healthqa.triage import triage


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


def open_index(
    engine: Engine, settings: Settings | None = None, *, rebuild: bool = False
) -> SearchIndex:
    """The search index over `engine`'s questions, built or caught up as needed."""
    settings = settings or load_settings(database_url=engine.url.render_as_string(False))
    return SearchIndex.open(engine, settings, rebuild=rebuild)


_open: dict[str, SearchIndex] = {}
_open_lock = threading.Lock()


def ask(text: str, k: int = 10, topic: str | None = None, *, db: str | None = None) -> AskResult:
    """The best stored questions for `text`, with the triage of `text` itself.

    Opens (once per database) the knowledge base at `db` or the configured one.
    """
    settings = load_settings(database_url=db)
    with _open_lock:
        index = _open.get(settings.database_url)
        if index is None:
            index = _open[settings.database_url] = open_index(open_kb(db), settings)
    result = ask_index(index, text, k, topic)
    result.triage = triage(text, settings.country, vector=result.vector).to_dict()
    return result
