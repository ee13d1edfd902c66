"""The search index: lexical and semantic indexes over the searchable questions, kept in step
with the database.

`SearchIndex.open` loads what is on disk and in the embedding cache and catches up with the
database; `refresh` applies what changed since (new, edited, removed questions) without a
rebuild, so a question is searchable as soon as it is stored. `build` starts from scratch.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from healthqa.config import Settings, data_dir
from healthqa.encoder import Embedder, shared_embedder
from healthqa.progress import progress
from healthqa.search.documents import SearchDoc, Watermark, load_docs, searchable_ids, watermark
from healthqa.search.focus import FocusMatcher
from healthqa.search.lexical import LEXICAL_SCHEMA, LexicalIndex
from healthqa.search.semantic import SemanticIndex, embed_cached

STATE = "state.json"
REFRESH_EVERY = 1.0  # seconds between checks of the database watermark while serving


def index_dir(settings: Settings) -> Path:
    if settings.index_dir:
        return settings.index_dir
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    return data_dir() / "index" / digest


class SearchIndex:
    """Everything `ask` searches, in memory, plus the lexical index on disk."""

    def __init__(
        self, engine: Engine, path: Path, embedder: Embedder, lexical: LexicalIndex
    ) -> None:
        self.engine = engine
        self.path = path
        self.embedder = embedder
        self.docs: dict[int, SearchDoc] = {}
        self.semantic = SemanticIndex(embedder.dim)
        self.lexical = lexical
        self.version = 0  # bumped whenever the searchable questions change (caches key on it)
        self.focus = FocusMatcher(())
        self._mark: Watermark | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    @classmethod
    def open(cls, engine: Engine, settings: Settings, *, rebuild: bool = False) -> SearchIndex:
        """The index for `engine`, loaded and up to date (the lexical part rebuilt if stale)."""
        path = index_dir(settings)
        embedder = shared_embedder(settings.model_path, settings.cache_dir)
        with _builder_lock(path):  # several workers starting at once: one builds, the rest reuse
            mark = watermark(engine)  # before loading: later changes are caught by refresh()
            docs = load_docs(engine)
            fresh = not rebuild and _read_state(path) == _state(mark, embedder)
            if not fresh:  # stale, or never built: rebuilding the lexical part takes seconds
                # First forget the old state: a build killed half-way must not pass for fresh.
                (path / STATE).unlink(missing_ok=True)
            lexical = (
                LexicalIndex(path / "lexical")
                if fresh
                else LexicalIndex.create(path / "lexical", docs)
            )
            index = cls(engine, path, embedder, lexical)
            index._load(docs, mark)
        return index

    def _load(self, docs: list[SearchDoc], mark: Watermark) -> None:
        """Fill the in-memory parts from the documents (embedding only uncached text)."""
        with progress("embedding questions", total=len(docs)) as advance:
            texts = [d.embed_text for d in docs]
            vectors = embed_cached(self.engine, self.embedder, texts, advance)
        self.semantic.upsert([d.id for d in docs], vectors)
        self.docs = {d.id: d for d in docs}
        self.focus = FocusMatcher(_focus_names(self.docs.values()))
        self._mark = mark
        self.version += 1
        self._write_state(mark)

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
        changed = load_docs(self.engine, since=since)
        gone = sorted(set(self.docs) - searchable_ids(self.engine))
        vectors = embed_cached(self.engine, self.embedder, [d.embed_text for d in changed])
        self.lexical.upsert(changed, delete=gone)
        self.semantic.upsert([d.id for d in changed], vectors, delete=gone)
        for qid in gone:
            self.docs.pop(qid, None)
        self.docs.update({d.id: d for d in changed})
        if changed or gone:
            self.focus = FocusMatcher(_focus_names(self.docs.values()))
            self.version += 1
        self._mark = mark
        self._write_state(mark)
        return len(changed) + len(gone)

    def _write_state(self, mark: Watermark) -> None:
        """Record what the index on disk holds; written whole or not at all (a crash mid-write
        leaves the old state, never half a file)."""
        partial = self.path / f"{STATE}.partial"
        partial.write_text(json.dumps(_state(mark, self.embedder)))
        os.replace(partial, self.path / STATE)


@contextmanager
def _builder_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on the index folder, shared by every process on this machine."""
    path.mkdir(parents=True, exist_ok=True)
    with (path / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _state(mark: Watermark, embedder: Embedder) -> dict[str, object]:
    """What `state.json` says when the lexical index on disk matches the database."""
    state: dict[str, object] = json.loads(
        json.dumps(asdict(mark) | {"model": embedder.name, "schema": LEXICAL_SCHEMA}, default=_iso)
    )
    return state


def _read_state(path: Path) -> object:
    try:
        return json.loads((path / STATE).read_text())
    except (OSError, ValueError):
        return None


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _focus_names(docs: Iterable[SearchDoc]) -> list[tuple[str, str]]:
    names: dict[tuple[str, str], None] = {}
    for doc in docs:
        if doc.focus:
            names[(doc.focus, doc.focus)] = None
            for synonym in doc.synonyms:
                names[(synonym, doc.focus)] = None
    return list(names)
