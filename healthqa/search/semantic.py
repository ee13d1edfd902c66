"""The semantic index: sentence embeddings of the stored questions, searched by cosine.

The model is the sentence encoder of `healthqa.encoder` (all-MiniLM-L6-v2, never downloaded).
Vectors are cached in the database by
a hash of the model and the exact text, so unchanged text is never embedded twice. 47,457
vectors of 384 floats are 73 MB: an exact matrix product answers in a few milliseconds, so no
approximate index is needed at this size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from healthqa.encoder import Vectors
from healthqa.store.models import Embedding


class TextEncoder(Protocol):
    """What the cache needs of an encoder: MiniLM's Embedder and the multilingual E5 both."""

    name: str
    dim: int

    def key(self, text: str) -> str: ...

    def embed(self, texts: Sequence[str], batch_size: int = ...) -> Vectors: ...


def embed_cached(
    engine: Engine,
    embedder: TextEncoder,
    texts: Sequence[str],
    advance: Callable[[int], None] = lambda n: None,
) -> Vectors:
    """Vectors for `texts`, embedding only those the cache has not seen."""
    keys = [embedder.key(t) for t in texts]
    cached = _cached(engine, set(keys))
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
    advance(len(texts) - len(missing))
    for start in range(0, len(missing), 1024):
        chunk = missing[start : start + 1024]
        vectors = embedder.embed([t for _, t in chunk])
        rows = [{"key": k, "vector": v.tobytes()} for (k, _), v in zip(chunk, vectors, strict=True)]
        with engine.begin() as conn:  # another worker may have cached the same texts meanwhile
            conn.execute(_insert_new(engine), rows)
        cached.update({k: v for (k, _), v in zip(chunk, vectors, strict=True)})
        advance(len(chunk))
    if not keys:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([cached[k] for k in keys])


def _insert_new(engine: Engine) -> Any:
    """An insert into the cache that skips keys already there (SQLite and PostgreSQL)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(Embedding).on_conflict_do_nothing(index_elements=["key"])


def _cached(engine: Engine, keys: set[str]) -> dict[str, Vectors]:
    found: dict[str, Vectors] = {}
    wanted = sorted(keys)
    with engine.connect() as conn:
        for start in range(0, len(wanted), 5_000):
            chunk = wanted[start : start + 5_000]
            rows = conn.execute(
                select(Embedding.key, Embedding.vector).where(Embedding.key.in_(chunk))
            )
            found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
    return found


class SemanticIndex:
    """Question vectors in one matrix; rows are found by question id."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids = np.zeros(0, dtype=np.int64)
        self._vectors: Vectors = np.zeros((0, dim), dtype=np.float32)
        self._row: dict[int, int] = {}

    def upsert(self, ids: Sequence[int], vectors: Vectors, delete: Sequence[int] = ()) -> None:
        gone = set(delete) | set(ids)
        keep = np.array([i not in gone for i in self._ids.tolist()], dtype=bool)
        self._ids = np.concatenate([self._ids[keep], np.asarray(ids, dtype=np.int64)])
        self._vectors = np.concatenate([self._vectors[keep], vectors.reshape(-1, self.dim)])
        self._row = {int(q): r for r, q in enumerate(self._ids.tolist())}

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """The `k` most similar questions to any of the query vectors (max over them)."""
        if not len(self._ids):
            return []
        scores = _dot(self._vectors, query.reshape(-1, self.dim))
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(self._ids[i]), float(scores[i])) for i in top]

    def similarity(self, query: Vectors, ids: Sequence[int]) -> dict[int, float]:
        rows = [self._row[i] for i in ids if i in self._row]
        scores = _dot(self._vectors[rows], query.reshape(-1, self.dim))
        return {int(self._ids[r]): float(s) for r, s in zip(rows, scores, strict=True)}

    def rows(self) -> tuple[NDArray[np.int64], Vectors]:
        """Question ids and their vectors, row-aligned. Read-only: `upsert` replaces the
        arrays rather than changing them, so a caller may keep them."""
        return self._ids, self._vectors

    def __len__(self) -> int:
        return len(self._ids)


def _dot(matrix: Vectors, queries: Vectors) -> Vectors:
    """Max over the queries of each row's cosine, computed by torch rather than numpy: with
    both doing matrix work, numpy's BLAS threads spin on the 2 cores while torch embeds the
    next query, which tripled the query embedding time (measured in bench/bench_ask.py)."""
    import torch

    scores = torch.from_numpy(matrix) @ torch.from_numpy(np.ascontiguousarray(queries.T))
    result: Vectors = scores.max(dim=1).values.numpy()
    return result
