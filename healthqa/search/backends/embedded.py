"""The embedded backend: a tantivy index on disk (search/lexical.py) and the vectors in this
process's memory (search/semantic.py), for SQLite and PostgreSQL without pgvector.

Every worker holds its own copy. The folder's `state.json` says which state of the base the
lexical index on disk holds, so a worker starting on an unchanged base reuses it; a folder lock
lets one process on this machine build while the others wait and reuse.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from healthqa.encoder import Embedder
from healthqa.progress import progress
from healthqa.search.documents import Documents, MemoryDocs, SearchDoc, Watermark, load_docs
from healthqa.search.lexical import LEXICAL_SCHEMA, LexicalIndex
from healthqa.search.semantic import SemanticIndex, embed_cached

STATE = "state.json"


class EmbeddedBackend:
    name = "embedded"
    lexical: LexicalIndex  # opened or built by `load`, under the lock

    def __init__(self, engine: Engine, path: Path, embedder: Embedder) -> None:
        self.engine = engine
        self.path = path
        self.embedder = embedder
        self.semantic = SemanticIndex(embedder.dim)

    @contextmanager
    def builder_lock(self) -> Iterator[None]:
        """An exclusive lock on the index folder, shared by every process on this machine."""
        self.path.mkdir(parents=True, exist_ok=True)
        with (self.path / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def documents(self) -> Documents:
        return MemoryDocs((d.id, d) for d in load_docs(self.engine))

    def load(self, everything: Documents, mark: Watermark, *, rebuild: bool) -> None:
        docs = list(everything.values())
        fresh = not rebuild and _read_state(self.path) == _state(mark, self.embedder)
        if fresh:
            self.lexical = LexicalIndex(self.path / "lexical")
        else:  # stale, or never built: rebuilding the lexical part takes seconds
            # First forget the old state: a build killed half-way must not pass for fresh.
            (self.path / STATE).unlink(missing_ok=True)
            self.lexical = LexicalIndex.create(self.path / "lexical", docs)
        with progress("embedding questions", total=len(docs)) as advance:
            texts = [d.embed_text for d in docs]
            vectors = embed_cached(self.engine, self.embedder, texts, advance)
        self.semantic.upsert([d.id for d in docs], vectors)
        self._write_state(mark)

    def apply(self, changed: list[SearchDoc], gone: list[int], mark: Watermark) -> None:
        vectors = embed_cached(self.engine, self.embedder, [d.embed_text for d in changed])
        self.lexical.upsert(changed, delete=gone)
        self.semantic.upsert([d.id for d in changed], vectors, delete=gone)
        self._write_state(mark)

    def _write_state(self, mark: Watermark) -> None:
        """Record what the index on disk holds; written whole or not at all (a crash mid-write
        leaves the old state, never half a file)."""
        partial = self.path / f"{STATE}.partial"
        partial.write_text(json.dumps(_state(mark, self.embedder)))
        os.replace(partial, self.path / STATE)


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
