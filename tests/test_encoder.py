"""The sentence encoder: onnxruntime with the model's own tokenizer gives sentence-transformers'
vectors, and a process that embeds with it never loads torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from healthqa.encoder import Embedder, default_model_path
from healthqa.encoder.onnx import supports
from healthqa.ingest.demo import CORPUS

ODD = ["", " ", "a" * 5_000, "naïve café ¿Qué? 头痛", "emoji 😀", "\u200b\t\n x", "IUD pain?!"]


def demo_texts() -> list[str]:
    texts = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("kind") != "source":
            texts += [record["title"], record.get("body", "")]
            texts += [a["body"] for a in record.get("answers", [])]
    return [*texts, *ODD]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("encoder-cache")


def test_onnx_vectors_are_sentence_transformers_vectors(cache: Path) -> None:
    from sentence_transformers import SentenceTransformer

    texts = demo_texts()
    ours = Embedder(cache_dir=cache)
    assert ours._onnx is not None  # the fast path is the one checked
    reference = SentenceTransformer(str(default_model_path()), device="cpu")
    reference.max_seq_length = 128
    theirs = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    cosine = (ours.embed(texts) * theirs).sum(axis=1)
    assert cosine.min() > 0.99999
    one_by_one = np.concatenate([ours.embed([t], batch_size=1) for t in texts[:40]])
    assert np.allclose(one_by_one, ours.embed(texts[:40]), atol=1e-5)  # padding changes nothing


def test_embedding_with_an_exported_model_never_imports_torch(cache: Path) -> None:
    Embedder(cache_dir=cache)  # exports the ONNX file, if the test above did not
    script = (
        "import sys; from pathlib import Path; from healthqa.encoder import Embedder; "
        f"e = Embedder(cache_dir=Path({str(cache)!r})); v = e.embed(['back pain']); "
        "heavy = {'torch', 'sentence_transformers', 'transformers'}; "
        "print(v.shape, sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(1, 384) []", out.stderr


def model_copy(folder: Path, pooling: dict[str, object] | None = None, extra: str = "") -> Path:
    """The model's description files (not its weights) under `folder`, changed as asked."""
    source = default_model_path()
    shutil.copytree(source / "1_Pooling", folder / "1_Pooling")
    for name in ("modules.json", "tokenizer.json", "config.json"):
        shutil.copy(source / name, folder / name)
    if pooling is not None:
        (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    if extra:
        modules = json.loads((folder / "modules.json").read_text())
        modules.append({"idx": 3, "name": "3", "path": "3", "type": extra})
        (folder / "modules.json").write_text(json.dumps(modules))
    return folder


def test_only_mean_pooled_models_take_the_onnx_path(tmp_path: Path) -> None:
    assert supports(default_model_path())
    assert supports(model_copy(tmp_path / "same"))
    assert supports(model_copy(tmp_path / "v5", {"pooling_mode": "mean"}))
    assert not supports(model_copy(tmp_path / "cls", {"pooling_mode_cls_token": True}))
    assert not supports(model_copy(tmp_path / "v5cls", {"pooling_mode": "cls"}))
    assert not supports(model_copy(tmp_path / "dense", extra="sentence_transformers.models.Dense"))
    no_tokenizer = model_copy(tmp_path / "slow")
    (no_tokenizer / "tokenizer.json").unlink()
    assert not supports(no_tokenizer)
    assert not supports(tmp_path / "missing")
