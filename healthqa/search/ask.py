"""`ask`: the stored questions that ask what a person asks, best first, each with its source.

Pipeline: clean and trim the text; understand it (focus, question type, lay terms); fetch
candidates from the lexical and the semantic index (over-fetching 10x the limit); score each
candidate on meaning, words, focus and type together (`rank.score`); drop repeats; attach why
each one matched.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from healthqa.encoder import Encoded, Vectors
from healthqa.errors import Refused
from healthqa.search import rank
from healthqa.search.documents import SearchDoc
from healthqa.search.focus import FocusMatch
from healthqa.search.index import SearchIndex
from healthqa.search.lexical import terms
from healthqa.search.qtype import TypeClassifier
from healthqa.search.vocabulary import expand

MAX_CHARS = 2_000  # longer messages are trimmed to this; the result says so
MAX_K = 100
SNIPPET_CHARS = 240
SHORT_MESSAGE = 200  # characters: below this a message is embedded whole, once
TAG = re.compile(r"<[^>]{0,200}>")
QUESTION_SENTENCE = re.compile(r"[^.?!\n]{12,}\?")


class AskError(Refused):
    """The question cannot be searched as given (empty, or k out of range)."""


@dataclass
class Why:
    """What made a match: the focus and type it shares with the question, the shared words."""

    focus: str | None
    question_type: str | None
    terms: list[str]


@dataclass
class Match:
    id: str
    title: str  # as the source wrote it
    display_title: str  # as a page shows it (healthqa/ingest/titles.py)
    snippet: str
    score: float
    source: str
    source_name: str
    source_url: str | None
    topic: str
    question_type: str | None
    focus: str
    answered: bool
    why: Why


@dataclass
class Understanding:
    focus: list[str]
    question_type: list[tuple[str, float]]
    expansions: dict[str, list[str]]


@dataclass
class AskResult:
    query: str
    trimmed: bool
    understanding: Understanding
    matches: list[Match] = field(default_factory=list)
    triage: dict[str, Any] | None = None
    # The message's sentence vector, for triage to reuse (never serialised).
    vector: Encoded | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("vector")
        return data


def clean(text: str) -> tuple[str, bool]:
    """Text as the engine reads it: tags dropped, spaces collapsed, at most MAX_CHARS."""
    text = " ".join(TAG.sub(" ", text).split())
    if len(text) <= MAX_CHARS:
        return text, False
    return text[:MAX_CHARS].rsplit(" ", 1)[0], True


def ask(
    index: SearchIndex,
    text: str,
    k: int = 10,
    topic: str | None = None,
    *,
    types: TypeClassifier | None = None,
) -> AskResult:
    """The `k` best answered questions for `text` (optionally within one topic)."""
    if not 1 <= k <= MAX_K:
        raise AskError(f"k must be between 1 and {MAX_K}, got {k}")
    query, trimmed = clean(text)
    if not terms(query) and not re.search(r"\w", query):
        raise AskError("the question is empty: type a few words about your health worry")
    index.refresh()
    foci = index.focus.match(query)
    qtypes = (types or TypeClassifier.load()).predict(query, [(f.start, f.end) for f in foci])
    expansions = {e.term: list(e.expansions) for e in expand(query)}
    understanding = Understanding(_unique(f.focus for f in foci), qtypes[:3], expansions)
    words = _query_words(query, foci, expansions)
    candidates, vector = _candidates(index, query, words, k, topic)
    wanted = {name for f in foci for name in (f.focus, *index.focus.foci(query[f.start : f.end]))}
    scored = rank.score(candidates, index.docs, wanted, dict(qtypes))
    matches = [_match(index.docs[c.id], c, words) for c in _distinct(scored, index.docs)[:k]]
    encoded = Encoded(index.embedder.name, vector)
    return AskResult(query, trimmed, understanding, matches, vector=encoded)


def _query_words(query: str, foci: list[FocusMatch], expansions: dict[str, list[str]]) -> list[str]:
    """Content words of the question, plus the corrected focus names and lay-term expansions."""
    extra = [f.focus for f in foci] + [e for values in expansions.values() for e in values]
    return _unique(terms(query) + terms(" ".join(extra)))


def _candidates(
    index: SearchIndex, query: str, words: list[str], k: int, topic: str | None
) -> tuple[list[rank.Candidate], Vectors]:
    """The candidates to rank, and the sentence vector of the whole message."""
    fetch = max(50, 10 * k) * (4 if topic else 1)
    lexical = index.lexical.search(words, fetch)
    vectors = index.embedder.embed(_texts_to_embed(query), batch_size=1)
    semantic = index.semantic.search(vectors, fetch)
    ids = [
        i for i in _unique([i for i, _ in semantic] + [i for i, _ in lexical]) if i in index.docs
    ]
    if topic:
        ids = [i for i in ids if index.docs[i].topic == topic]
    similarity = index.semantic.similarity(vectors, ids)
    bm25 = dict(lexical)
    candidates = [rank.Candidate(i, similarity.get(i, 0.0), bm25.get(i, 0.0)) for i in ids]
    return candidates, vectors[0]


def _texts_to_embed(query: str) -> list[str]:
    """The whole message, and the first question in it: the real question often hides in the
    middle of a long message, and its own embedding is not diluted by the story around it.
    One extra text only: each costs a model call (~10 ms), and more did not rank better. A
    short message is its question already."""
    if len(query) <= SHORT_MESSAGE:
        return [query]
    questions = [q.strip() for q in QUESTION_SENTENCE.findall(query)]
    return _unique([query] + [q for q in questions if q != query][:1])


def _distinct(scored: list[rank.Candidate], docs: dict[int, SearchDoc]) -> list[rank.Candidate]:
    """One result per question text: MedQuAD repeats some questions word for word."""
    seen: set[str] = set()
    out = []
    for c in scored:
        key = " ".join(docs[c.id].title.lower().split())
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _match(doc: SearchDoc, c: rank.Candidate, words: list[str]) -> Match:
    title_words = set(terms(f"{doc.title} {doc.focus} {' '.join(doc.synonyms)}"))
    return Match(
        id=doc.external_id,
        title=doc.title,
        display_title=doc.display_title,
        snippet=snippet(doc.answer),
        score=round(c.score, 4),
        source=doc.source,
        source_name=doc.source_name,
        source_url=doc.source_url,
        topic=doc.topic,
        question_type=doc.question_type,
        focus=doc.focus,
        answered=bool(doc.answer),
        why=Why(
            c.focus_hit,
            doc.question_type if c.type_prob >= 0.2 else None,
            [w for w in words if w in title_words],
        ),
    )


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of an answer, cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _unique(items: Any) -> list[Any]:
    return list(dict.fromkeys(items))
