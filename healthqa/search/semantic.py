"""The semantic index: sentence embeddings of the stored questions, searched by cosine.

The model is the sentence encoder of `healthqa.encoder` (all-MiniLM-L6-v2, never downloaded).
Vectors are cached in the database by
a hash of the model and the exact text, so unchanged text is never embedded twice.

Search reads every vector, so it misses nothing an exact search finds, but on a processor
with bfloat16 matrix instructions (AMX or AVX-512 BF16, as here) it reads a bfloat16 copy:
half the bytes, and the matrix unit, made the product over 47,955 questions some 5x faster
than in float32 (19 ms of every ask, the largest part, on these 2 cores under load;
`bench/bench_semantic.py`). Every row that pass puts within twice the rounding error
(`BFLOAT16_ERROR`) of its k-th best is scored again in float32, so the rows, scores and order
returned are the exact search's.
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


# How far a bfloat16 cosine of two unit vectors can be from the float32 one: each of the two
# roundings to bfloat16 (8 bits of mantissa) moves a product by at most 2^-9 of its size, and
# the sizes of the products sum to at most 1 (Cauchy-Schwarz). Measured on LiveQA: 0.0021.
BFLOAT16_ERROR = 2.0**-8


class SemanticIndex:
    """Question vectors in one matrix; rows are found by question id."""

    in_database = False

    def __init__(self, dim: int, *, bfloat16: bool | None = None) -> None:
        self.dim = dim
        self._ids = np.zeros(0, dtype=np.int64)
        self._vectors: Vectors = np.zeros((0, dim), dtype=np.float32)
        self._row: dict[int, int] = {}
        self._bfloat16 = fast_bfloat16() if bfloat16 is None else bfloat16
        self._coarse: Any = None  # the bfloat16 copy of _vectors (a torch tensor), or None

    def upsert(self, ids: Sequence[int], vectors: Vectors, delete: Sequence[int] = ()) -> None:
        gone = set(delete) | set(ids)
        keep = np.array([i not in gone for i in self._ids.tolist()], dtype=bool)
        self._ids = np.concatenate([self._ids[keep], np.asarray(ids, dtype=np.int64)])
        self._vectors = np.concatenate([self._vectors[keep], vectors.reshape(-1, self.dim)])
        self._row = {int(q): r for r, q in enumerate(self._ids.tolist())}
        if self._bfloat16:
            import torch

            self._coarse = torch.from_numpy(self._vectors).to(torch.bfloat16)

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """The `k` most similar questions to any of the query vectors (max over them), ties
        by question id."""
        if not len(self._ids):
            return []
        queries = query.reshape(-1, self.dim)
        if self._coarse is None:
            rows = np.arange(len(self._ids))
            scores = _dot(self._vectors, queries)
        else:
            rows = _within_error(_dot_bfloat16(self._coarse, queries), k)
            scores = _dot(self._vectors[rows], queries)
        ids = self._ids[rows]
        best = _top(scores, ids, k)
        return [(int(i), float(s)) for i, s in zip(ids[best], scores[best], strict=True)]

    def cosines(self, queries: Vectors, ids: Sequence[int]) -> dict[int, Vectors]:
        """Each known question of `ids`: its cosine to each query vector, in their order."""
        rows = [self._row[i] for i in ids if i in self._row]
        # a few hundred rows: numpy on this thread (see _dot)
        scores = self._vectors[rows] @ np.ascontiguousarray(queries.reshape(-1, self.dim).T)
        return {int(self._ids[r]): s for r, s in zip(rows, scores, strict=True)}

    def rows(self) -> tuple[NDArray[np.int64], Vectors]:
        """Question ids and their vectors, row-aligned. Read-only: `upsert` replaces the
        arrays rather than changing them, so a caller may keep them."""
        return self._ids, self._vectors

    def __len__(self) -> int:
        return len(self._ids)


def _top(scores: Vectors, ids: NDArray[np.int64], k: int) -> NDArray[np.int64]:
    """The positions of the `k` highest scores, best first, equal scores by id (MedQuAD asks
    some questions word for word twice): the same whichever rows were scored."""
    tied = np.flatnonzero(scores >= _kth(scores, k))  # all equal to the k-th: ids decide
    return tied[np.lexsort((ids[tied], -scores[tied]))][:k]


def _within_error(coarse: Vectors, k: int) -> NDArray[np.int64]:
    """The rows whose bfloat16 score could be among the best `k` float32 ones."""
    return np.flatnonzero(coarse >= _kth(coarse, k) - 2 * BFLOAT16_ERROR)


def _kth(scores: Vectors, k: int) -> np.float32:
    """The k-th highest score (the lowest, when there are fewer than k), as float32: the
    comparisons with it are exact."""
    k = min(k, len(scores))
    kth: np.float32 = np.partition(scores, len(scores) - k)[len(scores) - k]
    return kth


def fast_bfloat16() -> bool:
    """Whether this processor multiplies bfloat16 matrices in hardware (AMX or AVX-512 BF16).
    Elsewhere torch emulates bfloat16, which is slower than float32, so float32 is kept."""
    import torch

    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")  # torch.cpu, private
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def _dot_bfloat16(matrix: Any, queries: Vectors) -> Vectors:
    """`_dot` over the bfloat16 copy: each row's best cosine to within `BFLOAT16_ERROR`."""
    import torch

    q = torch.from_numpy(np.ascontiguousarray(queries.T)).to(torch.bfloat16)
    result: Vectors = (matrix @ q).max(dim=1).values.float().numpy()
    return result


SMALL = 4_096  # rows below which a product runs on this thread alone


def _dot(matrix: Vectors, queries: Vectors) -> Vectors:
    """Max over the queries of each row's cosine. A few rows (the candidates of one ask) are
    multiplied by numpy on this thread: torch's thread pool waited milliseconds for its second
    thread whenever the other core was busy (`_meaning` took 20 ms of an ask with a test run
    beside it). Larger products run in torch rather than numpy: with both doing matrix work,
    numpy's BLAS threads spin on the 2 cores while the model embeds the next query, which
    tripled the query embedding time (measured in bench/bench_ask.py)."""
    q = np.ascontiguousarray(queries.T)
    if len(matrix) < SMALL:
        small: Vectors = (matrix @ q).max(axis=1) if len(matrix) else np.zeros(0, np.float32)
        return small
    import torch

    scores = torch.from_numpy(matrix) @ torch.from_numpy(q)
    result: Vectors = scores.max(dim=1).values.numpy()
    return result
