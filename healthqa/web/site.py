"""`Site`: what every request shares — the knowledge base (database, search index opened once,
settings read once) and values cached until the knowledge base changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import anyio
from sqlalchemy import Engine

from healthqa.config import Settings
from healthqa.kb import KnowledgeBase
from healthqa.search.index import SearchIndex
from healthqa.web.cache import PageCache
from healthqa.web.counting import Tally

T = TypeVar("T")
RENDER_SLOTS = 2
# Rendered articles kept per worker: their bytes, not their number, are what a worker holds
# (a demo article is 11 KB of HTML and 3.5 KB gzipped; a long MedQuAD answer makes a page
# several times that, so 5,000 pages alone could take a few hundred MB of each worker).
ARTICLE_CACHE_BYTES = 64 * 2**20


class Site(KnowledgeBase):
    """The state of one running site. `version` changes whenever a published question does."""

    def __init__(
        self,
        engine: Engine,
        index: SearchIndex | None = None,
        settings: Settings | None = None,
        *,
        article_cache_size: int = 5_000,
        article_cache_bytes: int = ARTICLE_CACHE_BYTES,
        tally: Tally | None = None,
    ) -> None:
        super().__init__(engine, index, settings)
        self.articles = PageCache(article_cache_size, article_cache_bytes)
        # Article renders at once in this process. With the GIL one thread computes at a time:
        # 64 connections each rendering in a thread of their own share the CPU, and all finish
        # late. Uncached, 1 worker, Related left out, on a busy machine (bench/bench_web.py):
        # one thread each 266 req/s, p99 713 ms; 1 slot 374 and 247 ms; 2 slots 387 and 585 ms.
        # Two, so that a render waiting on the database (a kept triage's write) holds up none.
        self.renders = anyio.CapacityLimiter(RENDER_SLOTS)
        # On SQLite an article renders on the event loop itself: its reads take microseconds in
        # this process and never wait for a writer (WAL), and handing the render to a thread
        # cost more than it saved. Uncached, 2 workers (bench/bench_web.py, quiet machine):
        # 906 req/s, p99 111 ms in a thread; 1,053 req/s, p99 91 ms inline. PostgreSQL's
        # round trips would stall every other request of the worker, so there it is a thread.
        self.render_inline = engine.dialect.name == "sqlite"
        self.tally = tally  # counts what people read (None: nothing is counted)
        self.clock: Callable[[], float] = time.time
        self._memo: dict[str, tuple[Hashable, Any]] = {}
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

    def cached(self, key: str, build: Callable[[], T], *, seconds: float | None = None) -> T:
        """`build()`, computed once per version of the knowledge base, and with `seconds` once
        per period of that length too (for what changes while the knowledge base does not:
        reading counts). The periods start at the same moments in every worker."""
        stamp = (self.version(), int(self.clock() // seconds) if seconds else 0)
        with self._memo_lock:
            hit = self._memo.get(key)
        if hit is not None and hit[0] == stamp:
            value: T = hit[1]
            return value
        value = build()
        with self._memo_lock:
            self._memo[key] = (stamp, value)
        return value
