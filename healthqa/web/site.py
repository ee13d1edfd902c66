"""`Site`: what every request shares — the database, the search index (opened once), the
settings, and values cached until the knowledge base changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine

from healthqa.config import Settings, load_settings
from healthqa.kb import open_index
from healthqa.search.documents import Watermark, watermark
from healthqa.search.index import SearchIndex
from healthqa.web.cache import PageCache

T = TypeVar("T")
CHECK_EVERY = 1.0  # seconds between looks at the database for changes


class Site:
    """The state of one running site. `version` changes whenever a published question does."""

    def __init__(
        self,
        engine: Engine,
        index: SearchIndex | None = None,
        settings: Settings | None = None,
        *,
        article_cache_size: int = 5_000,
    ) -> None:
        self.engine = engine
        self.settings = settings or load_settings(
            database_url=engine.url.render_as_string(hide_password=False)
        )
        self.articles = PageCache(article_cache_size)
        self._index = index
        self._index_lock = threading.Lock()
        self._version: Watermark | None = None
        self._checked = float("-inf")
        self._memo: dict[str, tuple[Watermark, Any]] = {}
        self._memo_lock = threading.Lock()

    @property
    def index(self) -> SearchIndex:
        """The search index, opened on first use (seconds on a large base)."""
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    self._index = open_index(self.engine, self.settings)
        return self._index

    def version(self) -> Watermark:
        """The knowledge base's current version, looked up at most once a second.

        The watermark is read before the index catches up, so the index is never older than the
        version it is cached under."""
        now = time.monotonic()
        if self._version is None or now - self._checked >= CHECK_EVERY:
            self._checked = now
            mark = watermark(self.engine)
            self.index.refresh()
            self._version = mark
        return self._version

    def version_if_fresh(self) -> Watermark | None:
        """The version when it was looked up less than a second ago (no database access)."""
        if self._version is not None and time.monotonic() - self._checked < CHECK_EVERY:
            return self._version
        return None

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """`build()`, computed once per version of the knowledge base."""
        version = self.version()
        with self._memo_lock:
            hit = self._memo.get(key)
        if hit is not None and hit[0] == version:
            value: T = hit[1]
            return value
        value = build()
        with self._memo_lock:
            self._memo[key] = (version, value)
        return value
