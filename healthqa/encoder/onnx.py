"""Run the sentence model's transformer with onnxruntime: the same vectors as torch (cosine
0.9999999 on LiveQA messages) in a fraction of the time for one short query on 2 cores, which
is what `ask` does on every request.

The ONNX file is exported once from the local model (no download) into the cache folder.
Only models that mean-pool their tokens (all-MiniLM-L6-v2 and most sentence-transformers
models) take this path; others keep torch.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


POOLING_FLAGS = ("cls_token", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens")


def supports(path: Path) -> bool:
    """Whether the sentence-transformers folder `path` is what this encoder computes: a
    transformer, then mean pooling, then optionally Normalize, with a fast tokenizer file. Read
    from the folder's files, so that serving never imports torch to find out.
    sentence-transformers names the mode `pooling_mode` ("mean") since v5, and with flags
    (`pooling_mode_mean_tokens`) before."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return False
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        return False
    if not (path / "tokenizer.json").exists():
        return False
    mode = pooling.get("pooling_mode")
    if isinstance(mode, str):
        return mode == "mean"
    return bool(pooling.get("pooling_mode_mean_tokens")) and not any(
        pooling.get(f"pooling_mode_{other}") for other in POOLING_FLAGS
    )


def export(model: Any, target: Path) -> None:
    """Write the model's transformer as ONNX to `target` (atomically: a half-written file
    never stays behind)."""
    import torch

    bert = model[0].auto_model.eval()

    class _LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    sample = model.tokenizer(["a sample sentence"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    with warnings.catch_warnings():  # the exporter's notices about itself, not about the model
        warnings.simplefilter("ignore")
        _export(torch, _LastHiddenState(), sample, partial, axes)
    partial.replace(target)


def _export(torch: Any, module: Any, sample: Any, partial: Path, axes: Any) -> None:
    torch.onnx.export(
        module,
        tuple(sample[name] for name in INPUTS),
        str(partial),
        input_names=list(INPUTS),
        output_names=["last_hidden_state"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )


class OnnxEncoder:
    """Tokenise (the model's own tokenizer.json, through `tokenizers`), run the ONNX
    transformer, mean-pool, normalise."""

    def __init__(self, path: Path, tokenizer_file: Path, max_tokens: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        # Idle threads must sleep, not spin: the vector product and the ranking run right
        # after on the same 2 cores, and spinning threads tripled their time.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        # as sentence-transformers calls it: cut at max_tokens, pad to the batch's longest
        # (the file itself may say to pad every text to a fixed length)
        pad = self._tokenizer.padding or {}
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.enable_padding(
            pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]")
        )
        self._inputs = [i.name for i in self._session.get_inputs()]

    def encode(self, texts: list[str], batch_size: int) -> NDArray[np.float32]:
        """Vectors in the order of `texts`; batches group texts of similar length, so little
        padding is computed."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 0), dtype=np.float32)
        chunks = []
        for start in range(0, len(order), batch_size):
            chunk = [texts[i] for i in order[start : start + batch_size]]
            chunks.append(self._encode_batch(chunk))
        vectors = np.concatenate(chunks) if chunks else out
        result = np.empty_like(vectors)
        result[order] = vectors
        return result

    def _encode_batch(self, texts: list[str]) -> NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts)
        columns = {
            "input_ids": [e.ids for e in encodings],
            "attention_mask": [e.attention_mask for e in encodings],
            "token_type_ids": [e.type_ids for e in encodings],
        }
        feeds = {name: np.array(columns[name], dtype=np.int64) for name in self._inputs}
        hidden = self._session.run(None, feeds)[0]
        mask = np.array(columns["attention_mask"], dtype=np.float32)[..., None]
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        vectors: NDArray[np.float32] = (pooled / norms).astype(np.float32)
        return vectors
