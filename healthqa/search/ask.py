"""`ask`: the stored questions that ask what a person asks, best first, each with its source.

Pipeline: clean and trim the text; understand it (focus, question type, lay terms); read the
question(s) it really asks (`message.read_questions`); fetch candidates from the lexical and the
semantic index (over-fetching 10x the limit); describe each candidate, for each question, by
its meaning, words, focus, concepts and type (`rank.features`, in `prepare`) and score it with
the learned ranking (`learned.Ranking`, in `ranked`); take the questions' lists in turn; drop
repeats; attach why each one matched, in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from healthqa.encoder import Encoded, Vectors
from healthqa.errors import Refused
from healthqa.search import learned, rank
from healthqa.search.documents import SearchDoc
from healthqa.search.focus import FocusMatch
from healthqa.search.index import SearchIndex
from healthqa.search.learned import Ranking
from healthqa.search.lexical import terms
from healthqa.search.message import Extracted, read_questions, unread
from healthqa.search.qtype import TypeClassifier
from healthqa.search.vocabulary import expand

# Threads for the searches that wait (on PostgreSQL, for the database) while this one works:
# shared by every ask of the process; each task is one query.
_BESIDE = ThreadPoolExecutor(max_workers=16, thread_name_prefix="ask")
T = TypeVar("T")
MAX_CHARS = 2_000  # longer messages are trimmed to this; the result says so
MAX_K = 100
SNIPPET_CHARS = 240
TAG = re.compile(r"<[^>]{0,200}>")
# A question's meaning score is the better of its own sentence's cosine and the whole message's
# (the story still says who asks and why): on LiveQA Train-1 a 0.75/0.25 blend of the two did
# worse (type@1 0.680 against 0.695, both with each question's own types). Checked on Train-2
# (held out); see docs/understanding.md.


class AskError(Refused):
    """The question cannot be searched as given (empty, or k out of range)."""


@dataclass
class Why:
    """What made a match: the focus and type it shares with the question, the shared words,
    and the same in words (`reasons`, one sentence each; `text` all of them)."""

    focus: str | None
    question_type: str | None
    terms: list[str]
    reasons: list[str] = field(default_factory=list)
    text: str = ""


def why(doc: SearchDoc, focus: str | None, question_type: str | None, shared: list[str]) -> Why:
    """Why a match was chosen, in plain sentences ("Same condition: IUD. Same kind of
    question: treatment. Shares the words: back pain.")."""
    reasons = []
    if focus:
        kind = "condition" if doc.semantic_group == "Disorders" else "subject"
        reasons.append(f"Same {kind}: {focus}.")
    if question_type:
        reasons.append(f"Same kind of question: {question_type}.")
    if shared:
        reasons.append(f"Shares the words: {' '.join(shared)}.")
    if not reasons:
        reasons.append("Close in meaning to your question.")
    return Why(focus, question_type, shared, reasons, " ".join(reasons))


@dataclass
class Match:
    id: str
    title: str  # as the source wrote it
    display_title: str  # as a page shows it (healthqa/ingest/titles.py)
    snippet: str
    score: float  # how close, 0 to about 1: the scale thresholds are set on (rank.order)
    ranking: float  # the learned ranking's score, which orders the matches (no fixed scale)
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
    # The question(s) the message asks, as the engine read them (message.read_questions)
    read_as: list[str] = field(default_factory=list)
    # What healthqa could not read in the message, in a plain sentence (message.unread), or None
    note: str | None = None
    language: str = "en"  # the language the message was read in (healthqa.language.detect)
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


@dataclass
class Prepared:
    """A message read and its candidates fetched, before scoring: each question it asks with
    its candidates and their feature rows (`rank.FEATURES`). Training keeps these."""

    query: str
    trimmed: bool
    understanding: Understanding
    questions: list[Extracted]
    words: list[str]
    vectors: Vectors
    runs: list[tuple[list[rank.Candidate], NDArray[np.float64]]]
    docs: dict[int, SearchDoc]  # the candidates' documents


def ask(
    index: SearchIndex,
    text: str,
    k: int = 10,
    topic: str | None = None,
    *,
    types: TypeClassifier | None = None,
    ranking: Ranking | None = None,
) -> AskResult:
    """The `k` best answered questions for `text` (optionally within one topic); `ranking`
    replaces the shipped learned ranking (training and evaluation pass their own)."""
    p = prepare(index, text, k, topic, types=types)
    chosen = ranked(p, p.docs, ranking or learned.shipped())[:k]
    matches = [_match(p.docs[c.id], c, p.words) for c in chosen]
    encoded = Encoded(index.embedder.name, p.vectors[0])
    read_as = [q.text for q in p.questions]
    return AskResult(
        p.query, p.trimmed, p.understanding, matches, read_as, unread(p.query), vector=encoded
    )


def prepare(
    index: SearchIndex,
    text: str,
    k: int = 10,
    topic: str | None = None,
    *,
    types: TypeClassifier | None = None,
) -> Prepared:
    """Read `text` and fetch its candidates, with the features to rank them by."""
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
    questions = read_questions(query, foci)
    words = _query_words(query, foci, expansions)
    fetch = max(50, 10 * k) * (4 if topic else 1)
    # the word search needs no vectors: on PostgreSQL it runs in the database while the model
    # embeds
    lexical = _beside(index, index.lexical.search, words, fetch)
    vectors, semantic = _nearest(index, query, questions, fetch)
    candidates, docs, cosines = _candidates(index, lexical, semantic, vectors, topic)
    # every question is ranked with the whole message's question types: on LiveQA Train-1 each
    # question's own types lost 0.055 type@1 (the story says what kind of answer is wanted)
    facts = _facts(index, query, foci, dict(qtypes), words)
    runs = []
    for n in range(len(questions)):
        own = _meaning(candidates, cosines, n)
        runs.append((own, rank.features(own, docs, facts, questions[n].focus)))
    return Prepared(query, trimmed, understanding, questions, words, vectors, runs, docs)


def ranked(p: Prepared, docs: Mapping[int, SearchDoc], ranking: Ranking) -> list[rank.Candidate]:
    """Every candidate of a prepared message, best first, each question text once."""
    hand = learned.hand()
    runs = [
        rank.order(candidates, ranking.score(rows), hand.score(rows)) for candidates, rows in p.runs
    ]
    return _distinct(_in_turn(runs), docs)


def _facts(
    index: SearchIndex,
    query: str,
    foci: list[FocusMatch],
    type_probs: dict[str, float],
    words: list[str],
) -> rank.Query:
    """What the ranking needs of the message: its foci, every focus its words can name (a
    synonym such as "Mono" names several), their UMLS concepts, its types and words."""
    wanted = {name for f in foci for name in (f.focus, *index.focus.foci(query[f.start : f.end]))}
    scores: dict[str, float] = {}
    for f in foci:
        scores[f.focus.lower()] = max(scores.get(f.focus.lower(), 0.0), f.score)
    table = rank.concepts(index)
    known = [table[f] for f in scores if f in table]
    return rank.Query(
        foci=scores,
        wanted=frozenset(w.lower() for w in wanted),
        corrected=frozenset(f.focus.lower() for f in foci if f.corrected),
        cuis=frozenset(c for cuis, _ in known for c in cuis),
        groups=frozenset(g for _, g in known if g),
        type_probs=type_probs,
        words=frozenset(words),
    )


def _query_words(query: str, foci: list[FocusMatch], expansions: dict[str, list[str]]) -> list[str]:
    """Content words of the question, plus the corrected focus names and lay-term expansions."""
    extra = [f.focus for f in foci] + [e for values in expansions.values() for e in values]
    return _unique(terms(query) + terms(" ".join(extra)))


def _nearest(
    index: SearchIndex, query: str, questions: list[Extracted], fetch: int
) -> tuple[Vectors, list[tuple[int, float]]]:
    """Sentence vectors: the whole message (row 0), then each question it asks (rows 1..), the
    questions in one model call; and the `fetch` questions nearest to any of them. A question
    that is the whole message is not embedded twice. Where the vectors are in the database,
    the whole message's nearest are searched there while the model embeds its questions."""
    texts = [q.text for q in questions]
    whole = index.embedder.embed([query], batch_size=1)
    if texts == [query]:
        return np.concatenate([whole, whole]), index.semantic.search(whole, fetch)
    if not index.semantic.in_database:  # one product over the matrix for all the vectors
        vectors = np.concatenate([whole, index.embedder.embed(texts, batch_size=len(texts))])
        return vectors, index.semantic.search(vectors, fetch)
    early = _BESIDE.submit(index.semantic.search, whole, fetch)
    own = index.embedder.embed(texts, batch_size=len(texts))
    later = index.semantic.search(own, fetch)
    return np.concatenate([whole, own]), _best_of([early.result(), later], fetch)


def _beside(index: SearchIndex, work: Callable[..., T], *args: Any) -> Future[T]:
    """`work` started in a thread where it waits for the database, done here where it runs in
    this process: on SQLite/MedQuAD the threads moved ask p50 from 20.2 to 21.3 ms (3 runs)."""
    if index.semantic.in_database:
        return _BESIDE.submit(work, *args)
    done: Future[T] = Future()
    done.set_result(work(*args))
    return done


def _best_of(results: list[list[tuple[int, float]]], k: int) -> list[tuple[int, float]]:
    """Several searches as one over all their vectors: each question's best score, the `k`
    best, ties by id (as each search orders its own)."""
    best: dict[int, float] = {}
    for found in results:
        for i, score in found:
            best[i] = max(score, best.get(i, score))
    return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]


def _candidates(
    index: SearchIndex,
    lexical_search: Future[list[tuple[int, float]]],
    semantic: list[tuple[int, float]],
    vectors: Vectors,
    topic: str | None,
) -> tuple[list[rank.Candidate], dict[int, SearchDoc], dict[int, Vectors]]:
    """The candidates to rank (their meaning score still to fill in, per question), their
    documents, and their cosines to each of `vectors`."""
    lexical = lexical_search.result()
    found = _unique([i for i, _ in semantic] + [i for i, _ in lexical])
    reading = _beside(index, index.docs.fetch, found)  # beside the cosines: two round trips
    cosines = index.semantic.cosines(vectors, found)
    docs = reading.result()
    ids = [i for i, doc in docs.items() if topic in (None, doc.topic)]
    bm25 = dict(lexical)
    lexical_place = {i: n for n, (i, _) in enumerate(lexical, 1)}
    semantic_place = {i: n for n, (i, _) in enumerate(semantic, 1)}
    candidates = [
        rank.Candidate(
            i,
            0.0,
            bm25.get(i, 0.0),
            semantic_place=semantic_place.get(i, 0),
            lexical_place=lexical_place.get(i, 0),
        )
        for i in ids
    ]
    return candidates, {i: docs[i] for i in ids}, cosines


def _meaning(
    candidates: list[rank.Candidate], cosines: dict[int, Vectors], n: int
) -> list[rank.Candidate]:
    """Fresh candidates for question `n`, their meaning the better of the cosine with that
    question (vector n + 1) and with the whole message (vector 0)."""
    out = []
    for c in candidates:
        both = cosines.get(c.id)
        message, mine = (float(both[0]), float(both[n + 1])) if both is not None else (0.0, 0.0)
        out.append(
            rank.Candidate(
                c.id,
                max(mine, message),
                c.bm25,
                mine,
                message,
                c.semantic_place,
                c.lexical_place,
            )
        )
    return out


def _in_turn(runs: list[list[rank.Candidate]]) -> list[rank.Candidate]:
    """The questions' ranked lists taken in turn (first of each, then second of each, ...): a
    message that asks two things gets answers to both near the top."""
    if len(runs) == 1:
        return runs[0]
    return [c for tier in zip(*runs, strict=False) for c in tier]


def _distinct(scored: list[rank.Candidate], docs: Mapping[int, SearchDoc]) -> list[rank.Candidate]:
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
    title_words = rank.title_words(doc.title, doc.focus, doc.synonyms)
    question_type = doc.question_type if c.type_prob >= 0.2 else None
    shared = [w for w in words if w in title_words]
    return match(doc, c.closeness, c.score, why(doc, c.focus_hit, question_type, shared))


def match(doc: SearchDoc, score: float, ranking: float, reason: Why) -> Match:
    """A stored question as a match: `score` on the 0-to-about-1 scale the pages judge
    closeness by, `ranking` what ordered the matches."""
    return Match(
        id=doc.external_id,
        title=doc.title,
        display_title=doc.display_title,
        snippet=snippet(doc.answer),
        score=round(score, 4),
        ranking=round(ranking, 4),
        source=doc.source,
        source_name=doc.source_name,
        source_url=doc.source_url,
        topic=doc.topic,
        question_type=doc.question_type,
        focus=doc.focus,
        answered=bool(doc.answer),
        why=reason,
    )


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of an answer, cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _unique(items: Any) -> list[Any]:
    return list(dict.fromkeys(items))
