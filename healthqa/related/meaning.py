"""What each focus is, as its sources say it: one answer's start per focus, embedded.

The text is the answer to the focus's "information" question ("What is gout?") when it has one,
else its first answered question's; the encoder reads its first 128 tokens, which is the
definition. Vectors go through the embedding cache, so `healthqa index` embeds them once and
every later opening reads them back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from healthqa.encoder import Vectors
from healthqa.search.documents import SearchDoc
from healthqa.search.index import SearchIndex
from healthqa.search.semantic import embed_cached

TEXT_CHARS = 800  # more than 128 tokens: the encoder cuts the rest


def texts(docs: Sequence[SearchDoc], keys: dict[int, str]) -> dict[str, str]:
    """focus key -> the answer text that says what it is (foci without answers are left out)."""
    best: dict[str, SearchDoc] = {}
    for doc in docs:
        if not doc.answer.strip():
            continue
        current = best.get(keys[doc.id])
        if current is None or _rank(doc) < _rank(current):
            best[keys[doc.id]] = doc
    return {key: doc.answer.strip()[:TEXT_CHARS] for key, doc in best.items()}


def vectors(
    index: SearchIndex,
    focus_texts: dict[str, str],
    advance: Callable[[int], None] = lambda n: None,
) -> dict[str, Vectors]:
    keys = sorted(focus_texts)
    found = embed_cached(index.engine, index.embedder, [focus_texts[k] for k in keys], advance)
    return dict(zip(keys, found, strict=True))


def _rank(doc: SearchDoc) -> tuple[bool, int]:
    return doc.question_type != "information", doc.id
