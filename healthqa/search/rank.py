"""Score candidates on meaning, words, focus and question type together.

An answer about the right focus and the right type beats one that merely shares words: the
focus and type terms carry weights of their own next to the semantic and lexical scores.
The weights were chosen on the LiveQA training questions (`healthqa eval`), as round numbers,
and kept when MQP agreed; they are not fitted per query set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from healthqa.search.documents import SearchDoc
from healthqa.search.qtype import LIVEQA_TYPES

W_SEMANTIC = 0.50
W_LEXICAL = 0.20
W_FOCUS = 0.20
W_TYPE = 0.15


@dataclass
class Candidate:
    id: int
    semantic: float  # cosine similarity, -1..1
    bm25: float  # raw BM25, 0 when the lexical index did not return it
    focus_hit: str | None = None
    type_prob: float = 0.0
    score: float = 0.0


def score(
    candidates: Sequence[Candidate],
    docs: dict[int, SearchDoc],
    foci: Iterable[str],
    type_probs: dict[str, float],
) -> list[Candidate]:
    """The candidates with their scores filled in, best first (ties: lower id first).

    `foci` are every focus the question's words can name; `type_probs` the probability of
    each question type."""
    best_bm25 = max((c.bm25 for c in candidates), default=0.0) or 1.0
    wanted = {f.lower() for f in foci}
    for c in candidates:
        doc = docs[c.id]
        c.focus_hit = _focus_hit(doc, wanted)
        c.type_prob = _type_prob(doc.question_type, type_probs)
        c.score = (
            W_SEMANTIC * c.semantic
            + W_LEXICAL * c.bm25 / best_bm25
            + W_FOCUS * (c.focus_hit is not None)
            + W_TYPE * c.type_prob
        )
    return sorted(candidates, key=lambda c: (-c.score, c.id))


def _type_prob(label: str | None, type_probs: dict[str, float]) -> float:
    """The probability of a stored question's type; labels from other schemes (LiveQA's
    "cause", "prognosis") count as the MedQuAD types they map to."""
    if not label:
        return 0.0
    if label in type_probs:
        return type_probs[label]
    return max((type_probs.get(t, 0.0) for t in LIVEQA_TYPES.get(label.lower(), ())), default=0.0)


def _focus_hit(doc: SearchDoc, wanted: set[str]) -> str | None:
    if not wanted or not doc.focus:
        return None
    names = [doc.focus, *doc.synonyms]
    return doc.focus if any(n.lower() in wanted for n in names) else None
