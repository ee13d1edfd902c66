"""Score candidates on meaning, words, focus, concepts and question type together.

Each (question, candidate) pair is described by `FEATURES`, numbers healthqa computes anyway
(cosines, BM25, focus match, UMLS concept overlap, question-type agreement); a learned linear
model (`learned.Ranking`, shipped as `ranking.json`) turns them into one score. The features
are grouped (`GROUPS`) so that the ablation can drop a whole kind of evidence at once.
See docs/understanding.md and `healthqa eval askers --train`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from healthqa.search.documents import SearchDoc
from healthqa.search.lexical import terms
from healthqa.search.qtype import LIVEQA_TYPES

if TYPE_CHECKING:
    from healthqa.search.index import SearchIndex

RRF = 60  # the constant of reciprocal rank fusion (Cormack et al., SIGIR 2009)

# feature name -> group; the order is the order of a feature row
GROUPS: dict[str, str] = {
    "semantic": "meaning",  # the better of the question's and the whole message's cosine
    "own": "meaning",  # cosine with the question read out of the message
    "whole": "meaning",  # cosine with the whole message
    "semantic_rrf": "meaning",  # RRF/(RRF + place in the semantic list)
    "own_rrf": "meaning",  # RRF/(RRF + place among the candidates by `own`)
    "whole_rrf": "meaning",  # RRF/(RRF + place among the candidates by `whole`)
    "bm25": "words",  # BM25 over the best BM25 among the candidates
    "lexical_rrf": "words",  # RRF/(RRF + place in the lexical list), 0 when not in it
    "title_words": "words",  # share of the question's words in the title, focus and synonyms
    "focus_hit": "focus",  # the candidate's focus (or a synonym) is named in the question
    "focus_exact": "focus",  # ... by the candidate's own focus name
    "focus_fuzzy": "focus",  # ... only after correcting a misspelt word
    "focus_score": "focus",  # how specific that name is (FocusMatch.score)
    "focus_main": "focus",  # the candidate's focus is the message's best-scored one
    "focus_asked": "focus",  # ... is the focus of the question read out of the message
    "cui_overlap": "concepts",  # Jaccard of the UMLS concepts of question foci and candidate
    "same_group": "concepts",  # the candidate's semantic group is one the question's foci have
    "type_prob": "type",  # probability the question asks the candidate's type
    "top_type": "type",  # the candidate's type is the likeliest one
    "focus_type": "type",  # right focus and right type together
    "answered": "answer",  # answered here, not a link out to the source's site
}
# What kind of page a candidate is, whatever was asked: people who write at length are most
# often served by the overview ("What is (are) X?"), whichever part of it they asked about.
KINDS = (
    "information",
    "symptoms",
    "treatment",
    "causes",
    "outlook",
    "exams and tests",
    "inheritance",
    "genetic changes",
    "frequency",
    "prevention",
    "complications",
    "considerations",
    "susceptibility",
    "research",
    "support groups",
)
# Where a candidate comes from: sources differ in how they write for lay readers
SOURCES = (
    "ADAM",
    "MPlusDrugs",
    "GHR",
    "GARD",
    "NIDDK",
    "NINDS",
    "MPlusHealthTopics",
    "MPlusHerbsSupplements",
    "NIHSeniorHealth",
    "CancerGov",
    "NHLBI",
    "CDC",
)
GROUPS |= {f"kind={k}": "kind" for k in KINDS} | {f"source={s}": "source" for s in SOURCES}
FEATURES = tuple(GROUPS)
_BASE = len(FEATURES) - len(KINDS) - len(SOURCES)
_KIND_COLUMN = {k: _BASE + n for n, k in enumerate(KINDS)}
_SOURCE_COLUMN = {s: _BASE + len(KINDS) + n for n, s in enumerate(SOURCES)}


@dataclass
class Candidate:
    id: int
    semantic: float  # the better of `own` and `whole`, -1..1
    bm25: float  # raw BM25, 0 when the lexical index did not return it
    own: float = 0.0
    whole: float = 0.0
    semantic_place: int = 0  # 1.. in the semantic list; 0 when not in it
    lexical_place: int = 0  # 1.. in the lexical list; 0 when not in it
    focus_hit: str | None = None
    type_prob: float = 0.0
    score: float = 0.0  # the learned ranking's score: orders the candidates of one question
    closeness: float = 0.0  # the hand-weighted score, 0 to about 1 (see `order`)


@dataclass(frozen=True)
class Query:
    """What the ranking knows of one question: the foci it names (lower case, with the score of
    the best name for each), every focus its words can name, those found only by correcting a
    spelling, the UMLS concepts and semantic groups of its foci, its type probabilities and its
    content words."""

    foci: dict[str, float]
    wanted: frozenset[str]
    corrected: frozenset[str]
    cuis: frozenset[str]
    groups: frozenset[str]
    type_probs: dict[str, float]
    words: frozenset[str] = field(default_factory=frozenset)


def features(
    candidates: Sequence[Candidate],
    docs: Mapping[int, SearchDoc],
    query: Query,
    asked: str | None = None,
) -> NDArray[np.float64]:
    """One row of FEATURES per candidate, for the question whose focus is `asked`; fills each
    candidate's focus_hit and type_prob."""
    best_bm25 = max((c.bm25 for c in candidates), default=0.0) or 1.0
    top_type = max(query.type_probs, key=lambda t: query.type_probs[t], default=None)
    main = max(query.foci, key=lambda f: query.foci[f], default=None)
    own_rrf, whole_rrf = _rrf([c.own for c in candidates]), _rrf([c.whole for c in candidates])
    rows = np.zeros((len(candidates), len(FEATURES)))
    for n, c in enumerate(candidates):
        doc = docs[c.id]
        c.focus_hit = _focus_hit(doc, query.wanted)
        c.type_prob = _type_prob(doc.question_type, query.type_probs)
        focus = doc.focus.lower()
        hit = c.focus_hit is not None
        rows[n, :_BASE] = (
            c.semantic,
            c.own,
            c.whole,
            RRF / (RRF + c.semantic_place) if c.semantic_place else 0.0,
            own_rrf[n],
            whole_rrf[n],
            c.bm25 / best_bm25,
            RRF / (RRF + c.lexical_place) if c.lexical_place else 0.0,
            _share(query.words, doc),
            hit,
            hit and focus in query.foci,
            hit and focus in query.corrected,
            query.foci.get(focus, max(query.foci.values(), default=0.0)) if hit else 0.0,
            hit and focus == main,
            hit and asked is not None and focus == asked.lower(),
            _jaccard(query.cuis, set(doc.cuis)),
            doc.semantic_group in query.groups if doc.semantic_group else 0.0,
            c.type_prob,
            top_type is not None and _type_prob(doc.question_type, {top_type: 1.0}) > 0,
            hit * c.type_prob,
            bool(doc.answer),
        )
        if (column := _KIND_COLUMN.get(doc.question_type or "")) is not None:
            rows[n, column] = 1.0
        if (column := _SOURCE_COLUMN.get(doc.source)) is not None:
            rows[n, column] = 1.0
    return rows


def order(
    candidates: Sequence[Candidate],
    scores: NDArray[np.float64],
    closeness: NDArray[np.float64] | None = None,
) -> list[Candidate]:
    """The candidates best first by `scores` (ties: lower id first), each with its score and
    its closeness: the learned score orders but has no fixed scale, while callers compare a
    match with thresholds calibrated on the hand-weighted score (the web's "your question",
    the duplicate check), so that one is kept beside it."""
    near = scores if closeness is None else closeness
    for c, s, close in zip(candidates, scores.tolist(), near.tolist(), strict=True):
        c.score, c.closeness = s, close
    return sorted(candidates, key=lambda c: (-c.score, c.id))


def concepts(index: SearchIndex) -> dict[str, tuple[frozenset[str], str | None]]:
    """Per focus (lower case), the UMLS concepts and the semantic group its questions carry."""
    return index.concepts


def _rrf(values: Sequence[float]) -> NDArray[np.float64]:
    """RRF/(RRF + place) of each value among `values`, the highest first."""
    places = np.empty(len(values))
    places[np.argsort(-np.asarray(values), kind="stable")] = np.arange(1, len(values) + 1)
    result: NDArray[np.float64] = RRF / (RRF + places)
    return result


def _share(words: frozenset[str], doc: SearchDoc) -> float:
    if not words:
        return 0.0
    return len(words & title_words(doc.title, doc.focus, doc.synonyms)) / len(words)


@lru_cache(maxsize=100_000)
def title_words(title: str, focus: str, synonyms: tuple[str, ...]) -> frozenset[str]:
    """The content words of a question's title, focus and synonyms (kept: asked often)."""
    return frozenset(terms(f"{title} {focus} {' '.join(synonyms)}"))


def _jaccard(a: frozenset[str], b: set[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _type_prob(label: str | None, type_probs: dict[str, float]) -> float:
    """The probability of a stored question's type; labels from other schemes (LiveQA's
    "cause", "prognosis") count as the MedQuAD types they map to."""
    if not label:
        return 0.0
    if label in type_probs:
        return type_probs[label]
    return max((type_probs.get(t, 0.0) for t in LIVEQA_TYPES.get(label.lower(), ())), default=0.0)


def _focus_hit(doc: SearchDoc, wanted: frozenset[str]) -> str | None:
    if not wanted or not doc.focus:
        return None
    names = [doc.focus, *doc.synonyms]
    return doc.focus if any(n.lower() in wanted for n in names) else None
