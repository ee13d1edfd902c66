"""`Site`: what every request shares — the knowledge base (database, search index opened once,
settings read once) and values cached until the knowledge base changes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine

from healthqa.config import Settings
from healthqa.kb import KnowledgeBase
from healthqa.search.index import SearchIndex
from healthqa.web.cache import PageCache

T = TypeVar("T")


class Site(KnowledgeBase):
    """The state of one running site. `version` changes whenever a published question does."""

    def __init__(
        self,
        engine: Engine,
        index: SearchIndex | None = None,
        settings: Settings | None = None,
        *,
        article_cache_size: int = 5_000,
    ) -> None:
        super().__init__(engine, index, settings)
        self.articles = PageCache(article_cache_size)
        self._memo: dict[str, tuple[int, Any]] = {}
        self._memo_lock = threading.Lock()

    def version(self) -> int:
        """The knowledge base's current version: the search index's, which looks at the
        database at most once a second and catches up when it changed."""
        self.index.refresh()
        return self.index.version

    def catch_up(self) -> None:
        """Look at the database now (after a change made through this site), so that the
        next request of any visitor to this process sees it: a new answer is found at once."""
        if self._index is not None:
            self._index.refresh(force=True)

    def version_if_fresh(self) -> int | None:
        """The version when the index looked less than a second ago (no database access)."""
        return self.index.version if self.index.fresh() else None

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
