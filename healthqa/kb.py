"""The knowledge base as the CLI, the website and Python programs use it: the database, its
search index and the site's settings, read once, in one `KnowledgeBase`; and `ask`, the one
place where a question's matches and its triage are put together.

    import healthqa
    healthqa.ask("lower back pain since my IUD was put in, what should I do?")
"""

from __future__ import annotations

import threading
from functools import cached_property

from sqlalchemy import Engine, func, select

from healthqa.config import Settings, load_settings
from healthqa.ingest import ImportSummary, import_demo
from healthqa.ingest.topics import TopicRules, load_rules
from healthqa.ingest.write import fill_display_titles, sync_topics
from healthqa.screening import SpamRules, load_spam_rules
from healthqa.search.ask import AskResult
from healthqa.search.ask import ask as ask_index
from healthqa.search.index import SearchIndex
from healthqa.store.db import connect, migrate
from healthqa.store.models import Question
from healthqa.triage import Triage, triage


def open_kb(url: str | None = None, *, settings: Settings | None = None) -> Engine:
    """The database at `url` (default: the configured one), migrated, its topics in step with
    the site's topic rules, and every question with its display title (a base from before
    display titles gets them here, once)."""
    settings = settings or load_settings(database_url=url)
    engine = connect(settings.database_url)
    migrate(engine)
    with engine.begin() as conn:
        sync_topics(conn, load_rules(settings.topics_file))
    fill_display_titles(engine)
    return engine


def load_demo_if_empty(engine: Engine, rules: TopicRules | None = None) -> ImportSummary | None:
    """First start: an empty base gets the bundled demo corpus, so the site has content."""
    with engine.connect() as conn:
        if conn.scalar(select(func.count(Question.id))):
            return None
    return import_demo(engine, rules)


def open_index(
    engine: Engine, settings: Settings | None = None, *, rebuild: bool = False
) -> SearchIndex:
    """The search index over `engine`'s questions, built or caught up as needed."""
    settings = settings or load_settings(database_url=engine.url.render_as_string(False))
    return SearchIndex.open(engine, settings, rebuild=rebuild)


class KnowledgeBase:
    """One knowledge base and the site's settings, each read once: what every call that needs
    the country, the topic rules or the spam rules is handed. The search index is opened on
    first use (seconds on a large base) and shared by the threads of the process."""

    def __init__(
        self, engine: Engine, index: SearchIndex | None = None, settings: Settings | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings or load_settings(
            database_url=engine.url.render_as_string(hide_password=False)
        )
        self._index = index
        self._index_lock = threading.Lock()

    @classmethod
    def open(cls, url: str | None = None) -> KnowledgeBase:
        """The configured knowledge base (or the one at `url`), migrated and ready."""
        settings = load_settings(database_url=url)
        return cls(open_kb(settings=settings), settings=settings)

    @property
    def index(self) -> SearchIndex:
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    self._index = open_index(self.engine, self.settings)
        return self._index

    @property
    def country(self) -> str | None:
        """Where the site's readers are: it picks the emergency numbers triage shows."""
        return self.settings.country

    @cached_property
    def topic_rules(self) -> TopicRules:
        return load_rules(self.settings.topics_file)

    @cached_property
    def spam_rules(self) -> SpamRules:
        return load_spam_rules(self.settings.spam_rules_file)

    def triage(self, text: str) -> Triage:
        """Triage `text` with the site's country."""
        return triage(text, self.country)

    def ask(self, text: str, k: int = 10, topic: str | None = None) -> AskResult:
        """The best stored questions for `text`, with the triage of `text` itself.

        Triage reads the whole text as typed (an emergency may be past the part search reads)
        and reuses the search's sentence vector when search read all of it: one embedding."""
        result = ask_index(self.index, text, k, topic)
        vector = None if result.trimmed else result.vector
        result.triage = triage(text, self.country, vector=vector).to_dict()
        return result


_open: dict[str, KnowledgeBase] = {}
_open_lock = threading.Lock()


def ask(text: str, k: int = 10, topic: str | None = None, *, db: str | None = None) -> AskResult:
    """The best stored questions for `text`, with the triage of `text` itself.

    Opens (once per process and database) the knowledge base at `db` or the configured one.
    """
    settings = load_settings(database_url=db)
    with _open_lock:
        kb = _open.get(settings.database_url)
        if kb is None:
            kb = KnowledgeBase(open_kb(settings=settings), settings=settings)
            _open[settings.database_url] = kb
    return kb.ask(text, k, topic)
