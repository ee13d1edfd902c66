"""Search backends: where the lexical and the semantic index of the questions live.

A backend is chosen once, from the database, when the index is opened:

- `embedded`: a tantivy index in a folder and a matrix of vectors in each process's memory
  (SQLite, and PostgreSQL without pgvector). Each worker holds its own copy and catches up with
  the database by polling it.
- `postgresql`: full-text search (tsvector, GIN) and vectors (pgvector, HNSW) in the database
  itself, so any number of web servers share one engine. Chosen when the database has the
  tables of migration 0009, which are created where pgvector is installed.

`SearchIndex` (search/index.py) holds the documents, the focus names and the version; the
backend holds only the two indexes and how they are kept in step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, inspect

from healthqa.encoder import Embedder, Vectors
from healthqa.search.documents import Documents, SearchDoc, Watermark


class LexicalSearch(Protocol):
    def search(self, words: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The `k` best (question id, score) for content words `words`, best first; scores
        are only comparable within one result list."""
        ...

    def __len__(self) -> int: ...


class SemanticSearch(Protocol):
    # the vectors are in the database: a search waits for it rather than working here, so it
    # is worth starting while this process embeds
    in_database: bool

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """The `k` questions of highest cosine to any of the query vectors, best first."""
        ...

    def cosines(self, queries: Vectors, ids: Sequence[int]) -> dict[int, Vectors]:
        """Each question of `ids` (unknown ids left out): its cosine to each query vector, in
        their order. All of an ask's vectors at once: on PostgreSQL one round trip."""
        ...

    def rows(self) -> tuple[NDArray[np.int64], Vectors]:
        """Every question id and its vector, row-aligned (for related lists)."""
        ...

    def __len__(self) -> int: ...


class Backend(Protocol):
    # read-only, so that a backend may hold its own concrete index types
    @property
    def name(self) -> str: ...

    @property
    def lexical(self) -> LexicalSearch: ...

    @property
    def semantic(self) -> SemanticSearch: ...

    def builder_lock(self) -> AbstractContextManager[None]:
        """Held while the index is loaded or built: one builder at a time, the others wait
        and then find the work done."""
        ...

    def documents(self) -> Documents:
        """The searchable questions, as this backend keeps them: in memory beside indexes in
        memory, read from the database on demand beside indexes in the database."""
        ...

    def load(self, docs: Documents, mark: Watermark, *, rebuild: bool) -> None:
        """Make the indexes hold exactly `docs` (the base as of `mark`), reusing what is
        there and current unless `rebuild`."""
        ...

    def apply(self, changed: list[SearchDoc], gone: list[int], mark: Watermark) -> None:
        """Catch up: add or replace `changed`, drop `gone`; the base is now as of `mark`."""
        ...


Opener = Callable[[Engine, Path, Embedder], Backend]


def backend_name(engine: Engine) -> str:
    """The backend for `engine`'s database: `postgresql` where migration 0009 made its
    tables (pgvector installed), else `embedded`."""
    if engine.dialect.name == "postgresql" and inspect(engine).has_table("search_vectors"):
        return "postgresql"
    return "embedded"


def open_backend(engine: Engine, path: Path, embedder: Embedder) -> Backend:
    """The backend for `engine`; `path` is the folder the embedded backend keeps its files in."""
    # imported here: each backend imports what only it needs (tantivy, or the SQL of pgvector)
    from healthqa.search.backends.embedded import EmbeddedBackend
    from healthqa.search.backends.postgres import PostgresBackend

    backends: dict[str, Opener] = {"embedded": EmbeddedBackend, "postgresql": PostgresBackend}
    return backends[backend_name(engine)](engine, path, embedder)
