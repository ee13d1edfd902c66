"""The search index: lexical and semantic indexes over the searchable questions, kept in step
with the database.

`SearchIndex.open` loads what is there and catches up with the database; `refresh` applies what
changed since (new, edited, removed questions) without a rebuild, so a question is searchable
as soon as it is stored. Where the two indexes live is the backend's business
(search/backends/): a folder and this process's memory, or the PostgreSQL database itself.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from healthqa.config import Settings, data_dir
from healthqa.encoder import Embedder, shared_embedder
from healthqa.search.backends import Backend, LexicalSearch, SemanticSearch, open_backend
from healthqa.search.documents import (
    Documents,
    FocusRow,
    MemoryDocs,
    Watermark,
    deleted_since,
    focus_rows,
    load_docs,
    searchable_ids,
    unpublished_since,
    watermark,
)
from healthqa.search.focus import FocusMatcher

REFRESH_EVERY = 1.0  # seconds between checks of the database watermark while serving


def index_dir(settings: Settings) -> Path:
    if settings.index_dir:
        return settings.index_dir
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    return data_dir() / "index" / digest


class SearchIndex:
    """Everything `ask` searches: the documents and focus names in memory, and the backend's
    lexical and semantic indexes."""

    def __init__(self, engine: Engine, path: Path, embedder: Embedder, backend: Backend) -> None:
        self.engine = engine
        self.path = path  # the embedded backend's folder (the PostgreSQL one keeps nothing there)
        self.embedder = embedder
        self.backend = backend
        self.docs: Documents = MemoryDocs()
        self.version = 0  # bumped whenever the searchable questions change (caches key on it)
        self.focus = FocusMatcher(())
        self.concepts: dict[str, tuple[frozenset[str], str | None]] = {}
        self._mark: Watermark | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    @property
    def lexical(self) -> LexicalSearch:
        return self.backend.lexical

    @property
    def semantic(self) -> SemanticSearch:
        return self.backend.semantic

    @classmethod
    def open(cls, engine: Engine, settings: Settings, *, rebuild: bool = False) -> SearchIndex:
        """The index for `engine`, loaded and up to date (rebuilt where stale)."""
        path = index_dir(settings)
        embedder = shared_embedder(settings.model_path, settings.cache_dir)
        backend = open_backend(engine, path, embedder)
        with backend.builder_lock():  # several workers starting at once: one builds, the rest reuse
            mark = watermark(engine)  # before loading: later changes are caught by refresh()
            docs = backend.documents()
            backend.load(docs, mark, rebuild=rebuild)
        index = cls(engine, path, embedder, backend)
        index._loaded(docs, mark)
        return index

    def _loaded(self, docs: Documents, mark: Watermark) -> None:
        self.docs = docs
        self._foci_changed()
        self._mark = mark
        self.version += 1

    def _foci_changed(self) -> None:
        # read from the database, not the documents, which may not all be in memory
        rows = focus_rows(self.engine)
        self.focus = FocusMatcher(_focus_names(rows))
        self.concepts = _concepts(rows)

    def fresh(self) -> bool:
        """Whether the database was looked at less than REFRESH_EVERY seconds ago."""
        return time.monotonic() - self._checked < REFRESH_EVERY

    def refresh(self, *, force: bool = False) -> int:
        """Catch up with the database; returns how many questions changed. Cheap when none did."""
        now = time.monotonic()
        if not force and now - self._checked < REFRESH_EVERY:
            return 0
        with self._lock:
            self._checked = now
            mark = watermark(self.engine)
            if mark == self._mark:
                return 0
            return self._catch_up(mark)

    def _catch_up(self, mark: Watermark) -> int:
        since = self._mark.last_update if self._mark else None
        # the gone first: a question deleted, then another given its id (SQLite reuses the
        # last one) is searchable again, and one gone after this read waits for the next
        gone = self._gone(since)
        changed = load_docs(self.engine, since=since)
        back = {d.id for d in changed}
        gone = [i for i in gone if i not in back]
        self.backend.apply(changed, gone, mark)
        self.docs.apply(changed, gone)
        if changed or gone:
            self._foci_changed()
            self.version += 1
        self._mark = mark
        return len(changed) + len(gone)

    def _gone(self, since: datetime | None) -> list[int]:
        """The questions held that are no longer searchable: those unpublished or deleted
        since the last catch-up; before any, every id held compared with the database's,
        which at a million questions takes a second and 60 MB."""
        if since is None or self._mark is None:
            return sorted(set(self.docs) - searchable_ids(self.engine))
        gone = unpublished_since(self.engine, since)
        gone += deleted_since(self.engine, self._mark.deletions)
        return sorted({i for i in gone if i in self.docs})


def _focus_names(rows: Iterable[FocusRow]) -> list[tuple[str, str]]:
    names: dict[tuple[str, str], None] = {}
    for row in rows:
        names[(row.focus, row.focus)] = None
        for synonym in row.synonyms:
            names[(synonym, row.focus)] = None
    return list(names)


def _concepts(rows: Iterable[FocusRow]) -> dict[str, tuple[frozenset[str], str | None]]:
    """Per focus (lower case), the UMLS concepts and the semantic group its questions carry
    (the group of the first question that has any)."""
    found: dict[str, tuple[set[str], str | None]] = {}
    for row in rows:
        if row.cuis or row.semantic_group:
            cuis, _ = found.setdefault(row.focus.lower(), (set(), row.semantic_group))
            cuis.update(row.cuis)
    return {focus: (frozenset(c), group) for focus, (c, group) in found.items()}
