"""One Related list: candidates in three tiers, then spread over question types and foci.

1. **Same focus**: the page's own MedQuAD document (2-20 questions about one disease, drug or
   test) and the questions whose focus is one of the page's names, or that list the page's
   focus among theirs ("Hypertension" and "High Blood Pressure").
2. **Close foci** (`foci`): MeSH family (broader, narrower, same family) and foci whose answers
   are close in meaning; for a question a person wrote (no title template), also questions that
   ask much the same (`SIMILAR`).
3. **Same topic**: filler, only to bring a short list up to `MIN_ITEMS`, and only questions
   whose answers are close enough to the page's (`FILL_MEANING`); never a question merely named
   alike, so a page with few neighbours gets a shorter list.

The list is then spread: at most `MAX_PER_TYPE` items of one question type, one question per
type from the same focus, one per focus among the others, and up to `RESERVED` places kept for
close foci; the rules relax only when they would leave places empty. Ties go to the lower id,
so the same base always gives the same list; each item says why it is listed (`reason`, `why`).

Results are cached per index (an LRU keyed by question id and k) and recomputed from scratch
whenever the index catches up with a change in the database. See docs/related.md.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import weakref
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from healthqa.encoder import Vectors
from healthqa.errors import Refused
from healthqa.parallel import forked_map
from healthqa.related import meaning
from healthqa.related.foci import Foci, FocusReason, Link
from healthqa.search.ask import snippet
from healthqa.search.documents import Documents, SearchDoc
from healthqa.search.index import SearchIndex
from healthqa.search.semantic import embed_cached
from healthqa.search.words import COMMON_WORDS

SIMILAR = 0.75  # from here another topic's question is close in meaning (docs/related.md)
MIN_TEMPLATE = 20  # a title pattern shared by this many questions is a template (MedQuAD has ~40)
MIN_ITEMS = 6  # filler from the topic only brings a list up to this
FILL_MEANING = 0.50  # filler's answers at least this close to the page's ...
FILL_SIMILAR = 0.30  # ... or, under a question a person wrote, its question this similar
FILL_FLOOR = 0.30  # and its answers not further apart than this (a sprain is not a burn)
MAX_PER_TYPE = 2  # items of one question type; 3 when the list would otherwise stay short
RESERVED = 3  # places kept for other foci when the page's focus alone could fill the list
MAX_K = 50
PAGE_K = 10  # an article page lists this many: the lists `stored` keeps
SNIPPET_CHARS = 60
CACHE_SIZE = 4_096  # (question, k) lists kept per index: ~10 small items each
FETCH = 300  # most similar "others" considered: enough for one per focus after spreading
BLOCK = 256  # questions whose similarities `many` computes in one matrix product

_PUNCTUATION = re.compile(r"['’]s\b|[^\w]+")

Reason = Literal["same focus", FocusReason, "similar question", "same topic"]


@dataclass(frozen=True)
class RelatedItem:
    """One line of the Related list: a stored question and why it is listed."""

    id: str  # external id
    title: str  # as the source wrote it
    display_title: str  # as a page shows it
    snippet: str
    topic: str
    question_type: str | None
    reason: Reason
    why: str  # the reason in words, for the API and the page's tooltip


class RelatedError(Refused):
    """The list cannot be computed as asked (k out of range)."""


def related(index: SearchIndex, question_id: int, k: int = 10) -> list[RelatedItem]:
    """Up to `k` questions related to the stored question `question_id`, best first.

    Returns an empty list for a question the index does not hold (not published, or gone).
    """
    if not 1 <= k <= MAX_K:
        raise RelatedError(f"k must be between 1 and {MAX_K}, got {k}")
    index.refresh()
    return _neighbourhood(index).related(question_id, k)


def similarity(index: SearchIndex, question_id: int, ids: Iterable[int]) -> dict[int, float]:
    """How close in meaning stored questions are to one, as `related` judges it (unknown ids
    are left out).

    The MiniLM cosine of the questions once each has its title template removed: "What causes
    Fecal Incontinence?" and "What causes Urinary Incontinence?" stay close (0.81), "How to
    prevent Pleurisy?" and "How to prevent Aneurysm?" no longer are (0.85 as plain cosines)."""
    return _neighbourhood(index).similarity(question_id, ids)


def same_focus(
    index: SearchIndex, question_id: int, ids: Iterable[int], k: int
) -> list[RelatedItem]:
    """Up to `k` of `ids` (questions about the page's focus) as its list, without the
    neighbourhood: for a worker of a base too large to hold in memory (`stored.listed`). The
    exact focus first, then by plain cosine to the page (no title templates removed: their
    means are the whole base's), at most MAX_PER_TYPE of a question type, each title once."""
    docs = index.docs.fetch([question_id, *ids])
    page = docs.pop(question_id, None)
    if page is None:
        return []
    vector = embed_cached(index.engine, index.embedder, [page.embed_text])
    found = index.semantic.cosines(vector, list(docs))
    score = {i: float(found[i][0]) if i in found else 0.0 for i in docs}
    focus = _key(page.focus)
    best = sorted(docs, key=lambda i: (_key(docs[i].focus) != focus, -_rounded(score[i]), i))
    titles, kinds, out = {_key(page.title)}, Counter[str | None](), []
    why = f"also about {page.focus}"
    for i in best:
        doc = docs[i]
        if _key(doc.title) in titles or kinds[doc.question_type] >= MAX_PER_TYPE:
            continue
        titles.add(_key(doc.title))
        kinds[doc.question_type] += 1
        out.append(_item(_Candidate(doc, score[i], "same focus", focus, _key(doc.title), why)))
        if len(out) == k:
            break
    return out


class _Candidate(NamedTuple):
    doc: SearchDoc
    score: float
    reason: Reason
    focus: str  # the focus and title as compared (`_key`)
    title: str
    why: str

    @property
    def same_focus(self) -> bool:
        return self.reason == "same focus"

    @property
    def weak(self) -> bool:
        """Only in the page's topic: listed only to bring a short list up to MIN_ITEMS."""
        return self.reason == "same topic"


@dataclass(frozen=True)
class _Limits:
    """How strictly one pass of `_spread` spreads the list."""

    per_type: int
    same_focus: int  # at most this many items about the page's focus
    one_per_focus: bool  # one per question type from the same focus, one per focus elsewhere
    weak_until: int  # weak candidates may join while the list is shorter than this


class _Neighbourhood:
    """What `related` needs from one version of the index: the docs, their vectors with the
    title templates removed, the focus names, and the cache of computed lists.

    MedQuAD asks the same ~40 questions of every focus ("What are the symptoms of {}?"), and
    the template dominates a short question's embedding: as plain cosines "How to prevent
    Pleurisy?" is closer to "How to prevent Aneurysm?" (0.85) than to most questions about
    pleurisy. Each question that follows a template has that template's mean vector
    subtracted before the cosine, which leaves what the question is about."""

    def __init__(
        self,
        index: SearchIndex,
        version: object,
        everything: Documents,
        ids: NDArray[np.int64],
        vectors: Vectors,
    ) -> None:
        # a snapshot, read in batches where the documents are in the database: a refresh
        # updates the index's documents in place
        docs = everything.fetch(ids.tolist())
        rows = [r for r, i in enumerate(ids.tolist()) if i in docs]  # docs may lag a refresh
        self.version = version
        self.ids = ids[rows]
        self.vectors = vectors[rows] if len(rows) < len(ids) else vectors
        self.row = {int(i): r for r, i in enumerate(self.ids.tolist())}
        self.docs = {int(i): docs[int(i)] for i in self.ids.tolist()}
        ordered = [self.docs[int(i)] for i in self.ids.tolist()]
        topic_codes: dict[str, int] = {}
        self.topics = np.array([topic_codes.setdefault(d.topic, len(topic_codes)) for d in ordered])
        self.group, self.means, self.inv_norm = _templates(ordered, self.vectors)
        # each topic's rows and the rows of questions a person wrote, with their vectors in
        # one piece each: a block of pages is compared with those rows only, never with all
        self.by_topic = np.argsort(self.topics, kind="stable")
        self.topic_vectors = np.ascontiguousarray(self.vectors[self.by_topic])
        bounds = np.searchsorted(self.topics[self.by_topic], np.arange(len(topic_codes) + 1))
        self.topic_span = list(itertools.pairwise(bounds.tolist()))
        self.written = np.flatnonzero(self.group == 0)
        self.written_vectors = np.ascontiguousarray(self.vectors[self.written])
        self.by_focus: dict[str, list[int]] = defaultdict(list)  # focus -> its questions
        self.by_name: dict[str, list[int]] = defaultdict(list)  # any name -> its questions
        self.keys = {d.id: (_key(d.focus), _key(d.title)) for d in ordered}
        for doc in ordered:
            names = _names(doc)
            if self.keys[doc.id][0] in names:
                self.by_focus[self.keys[doc.id][0]].append(doc.id)
            for name in names:
                self.by_name[name].append(doc.id)
        keys = focus_keys(ordered)
        self.foci = Foci(ordered, keys, meaning.vectors(index, meaning.texts(ordered, keys)))
        self._links: dict[str, list[Link]] = {}
        self._kind_counts: dict[str, int] = {}
        self.focus_code = {key: code for code, key in enumerate(self.foci.by_key)}
        self.row_focus = np.array(
            [self.focus_code[self._focus_key(d)] for d in ordered], dtype=np.intp
        )
        self._cache: OrderedDict[tuple[int, int], list[RelatedItem]] = OrderedDict()
        self._lock = threading.Lock()

    def related(self, question_id: int, k: int) -> list[RelatedItem]:
        with self._lock:
            if (question_id, k) in self._cache:
                self._cache.move_to_end((question_id, k))
                return list(self._cache[(question_id, k)])
        items = self._block([question_id], k)[0][1] if question_id in self.row else []
        with self._lock:
            self._cache[(question_id, k)] = items
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return list(items)

    def similarity(self, question_id: int, ids: Iterable[int]) -> dict[int, float]:
        if question_id not in self.row:
            return {}
        known = [i for i in ids if i in self.row]
        scores = self._scores([question_id])[0].at(np.array([self.row[i] for i in known]))
        return {i: float(s) for i, s in zip(known, scores.tolist(), strict=True)}

    def many(
        self, question_ids: Sequence[int], k: int, workers: int = 1
    ) -> Iterator[tuple[int, list[RelatedItem]]]:
        """The lists of many questions (ids the index lacks are skipped), a block at a time,
        a topic at a time: what building every list at once needs. With `workers` > 1 the
        blocks are shared among that many forked processes (`forked_map`: a command's, never
        a web worker's), which inherit this neighbourhood."""
        ids = sorted((i for i in question_ids if i in self.row), key=self._topic_order)
        size = max(1, min(BLOCK, -(-len(ids) // workers)))
        blocks = [ids[start : start + size] for start in range(0, len(ids), size)]
        for found in forked_map(functools.partial(self._block, k=k), blocks, workers):
            yield from found

    def _topic_order(self, question_id: int) -> tuple[int, int]:
        return int(self.topics[self.row[question_id]]), question_id

    def _block(self, question_ids: Sequence[int], k: int) -> list[tuple[int, list[RelatedItem]]]:
        """The lists of a few questions the index holds. The page's topic is compared with
        only for lists that stay short without filler: those pages' products with their
        topics' rows are computed together, a topic at a time."""
        scores = dict(zip(question_ids, self._scores(question_ids), strict=True))
        drafts = {q: self._draft(self.docs[q], k, scores[q]) for q in question_ids}
        short = [q for q, d in drafts.items() if len(d.chosen) < min(k, MIN_ITEMS)]
        self._add_topic_scores([scores[q] for q in short])
        for q in short:
            drafts[q] = self._draft(self.docs[q], k, scores[q], drafts[q])
        return [(q, [_item(c) for c in drafts[q].chosen]) for q in question_ids]

    def _draft(
        self, page: SearchDoc, k: int, scores: _Scores, before: _Draft | None = None
    ) -> _Draft:
        """The list from its first two tiers, or, given that (`before`), with filler from the
        page's topic. Filler joins only a list shorter than MIN_ITEMS (`_spread`), so a list
        that reaches it from the first two tiers is final without the topic's scores."""
        if before is None:
            taken = _Taken({page.id}, set(), {self.keys[page.id][1]})
            same = self._same_focus(page, k, scores, taken)
            close, foci = self._close(page, k, scores, taken)
            firm = [*same, *close]
            reserved = min(RESERVED, len(foci))
            fill: list[_Candidate] = []
        else:
            firm, reserved, taken = before.firm, before.reserved, before.taken
            fill = _distinct_titles(set(taken.titles), self._same_topic(page, scores, taken))
        return _Draft(firm, reserved, _spread([*firm, *fill], k, reserved), taken)

    def _capped(
        self, ids: Iterable[int], k: int, titles: set[str], kinds: int | None = None
    ) -> Iterator[int]:
        """`ids` in order, without a title listed before (`titles`, which it adds to), and
        only the first few of each question type. `_spread` tries candidates of one tier and
        focus alike in type in order, against the same rules, so it takes at most the first
        MAX_PER_TYPE + 1 of them (k where the type is unknown): the rest could never be
        chosen. Stops once each of `kinds` types has its fill: a base with many questions
        per focus would otherwise make every list walk them all."""
        seen: Counter[str | None] = Counter()
        full = 0
        for i in ids:
            title = self.keys[i][1]
            if title in titles:
                continue
            titles.add(title)
            kind = self.docs[i].question_type
            cap = min(k, MAX_PER_TYPE + 1) if kind else k
            if seen[kind] < cap:
                seen[kind] += 1
                full += seen[kind] == cap
                yield i
            if full == kinds:
                return

    def _scores(self, question_ids: Sequence[int]) -> list[_Scores]:
        """Each question's similarity to other rows, templates removed on both sides: to any
        rows on demand, and, for a question a person wrote, to every other such question."""
        rows = np.array([self.row[i] for i in question_ids])
        queries = self.vectors[rows] - self.means[self.group[rows]]
        queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-6)
        template = queries @ self.means.T  # each query's product with each template mean
        out = [_Scores(self, int(r), q, t) for r, q, t in zip(rows, queries, template, strict=True)]
        written = [s for s in out if self.group[s.row] == 0]
        if written and len(self.written):
            products = _dot(np.stack([s.query for s in written]), self.written_vectors)
            for s, values in zip(written, products, strict=True):
                s.written = self._adjusted(s, self.written, values)
        return out

    def _add_topic_scores(self, pages: Sequence[_Scores]) -> None:
        """Each page's similarity to every row of its topic, one product per topic."""
        by_topic: dict[int, list[_Scores]] = defaultdict(list)
        for s in pages:
            by_topic[int(self.topics[s.row])].append(s)
        for topic, group in by_topic.items():
            low, high = self.topic_span[topic]
            rows = self.by_topic[low:high]
            products = _dot(np.stack([s.query for s in group]), self.topic_vectors[low:high])
            for s, values in zip(group, products, strict=True):
                s.topic = self._adjusted(s, rows, values)

    def _adjusted(self, page: _Scores, rows: NDArray[np.intp], products: Any) -> _Found:
        """Raw products of a page's query with these rows, made similarities: each row's
        template mean taken off and its length made one."""
        values = (products - page.template[self.group[rows]]) * self.inv_norm[rows]
        return _Found(rows, values.astype(np.float32, copy=False))

    def _same_focus(
        self, page: SearchDoc, k: int, scores: _Scores, taken: _Taken
    ) -> list[_Candidate]:
        """Questions about the page's focus: exactly the same focus first, then by similarity
        (all of them `taken`, from the tiers after this one, also those `_capped` leaves out)."""
        focus, names = _key(page.focus), _names(page)
        ids = {i for name in names for i in self.by_focus.get(name, ())}
        if focus in names:
            ids.update(self.by_name.get(focus, ()))
        ids.discard(page.id)
        taken.ids.update(ids)
        why = f"also about {page.focus}"
        ordered = sorted(ids)
        values = scores.at(np.array([self.row[i] for i in ordered], dtype=np.intp)).tolist()
        score = dict(zip(ordered, values, strict=True))
        best = sorted(ordered, key=lambda i: (self.keys[i][0] != focus, -_rounded(score[i]), i))
        capped = self._capped(best, k, taken.titles)
        return [self._candidate(i, score[i], "same focus", why) for i in capped]

    def _close(
        self, page: SearchDoc, k: int, scores: _Scores, taken: _Taken
    ) -> tuple[list[_Candidate], set[str]]:
        """Questions about clinically close foci (MeSH family, answers close in meaning), then
        questions people wrote that ask much the same (`SIMILAR`), best first; and the foci
        they are about, counted before titles are deduplicated (the places `_spread` keeps
        for close foci)."""
        out, foci = [], set()
        links = self._focus_links(self._focus_key(page))
        taken.foci.update(other for other, _, _ in links)
        for other, reason, score in links:
            focus = self.foci.by_key[other]
            first = next((i for i in focus.docs if i not in taken.ids), None)
            if first is None:
                continue
            foci.add(self.keys[first][0])
            why = _why(reason, self.foci, other)
            docs = (i for i in focus.docs if i not in taken.ids)
            for i in self._capped(docs, k, taken.titles, self._kinds(other)):
                out.append(self._candidate(i, score, reason, why))
        if self.group[self.row[page.id]] == 0:  # written by a person, not from a template
            similar = self._similar_questions(page, scores, taken)
            taken.ids.update(c.doc.id for c in similar)
            foci.update(c.focus for c in similar)
            out.extend(_distinct_titles(taken.titles, similar))
        return out, foci

    def _kinds(self, key: str) -> int:
        """How many question types the questions of a focus have (None counts as one)."""
        with self._lock:
            if key not in self._kind_counts:
                docs = self.foci.by_key[key].docs
                self._kind_counts[key] = len({self.docs[i].question_type for i in docs})
            return self._kind_counts[key]

    def _similar_questions(
        self, page: SearchDoc, scores: _Scores, exclude: _Taken
    ) -> list[_Candidate]:
        assert scores.written is not None  # computed for every page a person wrote
        close = scores.written.values >= SIMILAR
        rows, values = _top(
            _Found(scores.written.rows[close], scores.written.values[close]), self.ids
        )
        why = "asks much the same"
        return [
            self._candidate(i, v, "similar question", why)
            for i, v in zip(self.ids[rows].tolist(), values.tolist(), strict=True)
            if not exclude.holds(i, self._focus_key(self.docs[i]))
        ]

    def _same_topic(self, page: SearchDoc, scores: _Scores, exclude: _Taken) -> list[_Candidate]:
        """The page's topic, closest in meaning first where answers say what the foci are, else
        by question similarity: filler, used only to bring a short list up to MIN_ITEMS."""
        assert scores.topic is not None  # computed for the pages that need filler
        rows = scores.topic.rows
        left_out = np.array([self.row[i] for i in exclude.ids], dtype=np.intp)
        linked = np.array([self.focus_code[f] for f in exclude.foci], dtype=np.intp)
        allowed = ~(np.isin(rows, left_out) | np.isin(self.row_focus[rows], linked))
        rows, values = _top(
            _Found(scores.topic.rows[allowed], scores.topic.values[allowed]), self.ids
        )
        key = self._focus_key(page)
        written = self.group[self.row[page.id]] == 0
        found = []
        for i, similar in zip(self.ids[rows].tolist(), values.tolist(), strict=True):
            meant = self.foci.meaning(key, self._focus_key(self.docs[i]))
            if not _fills(meant, similar, written):
                continue
            score = similar if meant is None else 1.0 + meant  # meaning ranks first
            found.append(self._candidate(i, score, "same topic", f"also in {page.topic}"))
        return sorted(found, key=lambda c: (-_rounded(c.score), c.doc.id))

    def _focus_key(self, doc: SearchDoc) -> str:
        return self.keys[doc.id][0] or f"#{doc.id}"

    def _focus_links(self, key: str) -> list[Link]:
        with self._lock:
            if key not in self._links:
                self._links[key] = self.foci.links(key)
            return self._links[key]

    def _candidate(self, question_id: int, score: float, reason: Reason, why: str) -> _Candidate:
        return _Candidate(self.docs[question_id], score, reason, *self.keys[question_id], why)


class _Found(NamedTuple):
    """Some rows and their similarity to one page."""

    rows: NDArray[np.intp]
    values: NDArray[np.float32]


class _Scores:
    """One page's similarities (`_Neighbourhood._scores`): to any rows on demand (`at`), to
    every question a person wrote (`written`, for such a page) and to its topic's rows
    (`topic`, only for a list that needs filler)."""

    def __init__(self, hood: _Neighbourhood, row: int, query: Vectors, template: Vectors) -> None:
        self.hood, self.row, self.query, self.template = hood, row, query, template
        self.written: _Found | None = None
        self.topic: _Found | None = None

    def at(self, rows: NDArray[np.intp]) -> NDArray[np.float32]:
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        products = _dot(self.query[None, :], self.hood.vectors[rows])[0]
        return self.hood._adjusted(self, rows, products).values


class _Taken(NamedTuple):
    """What a list's first two tiers hold, capped or not: the page, the questions of its focus
    and those asking much the same (`ids`), and the questions of its close foci (`foci`).
    No later tier lists them again."""

    ids: set[int]
    foci: set[str]
    titles: set[str]  # of the candidates so far, the page's own first: never listed twice

    def holds(self, question_id: int, focus: str) -> bool:
        return question_id in self.ids or focus in self.foci


class _Draft(NamedTuple):
    firm: list[_Candidate]  # same focus and close foci, `_capped`: everything but filler
    reserved: int
    chosen: list[_Candidate]
    taken: _Taken


def _dot(queries: Vectors, rows: Vectors) -> Any:
    """Each query's product with each row. One query: einsum, not BLAS, whose threads left
    spinning slow the model's work for an ask running beside a page's list; many (the
    build, in a batch command): BLAS."""
    if len(queries) == 1:
        return np.einsum("ij,j->i", rows, queries[0])[None, :]
    return queries @ rows.T


def _top(found: _Found, ids: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
    """The FETCH rows of highest score and their scores, best first, ties to the lower id; a
    partition first, since a topic can hold 13,000 questions."""
    rows, values = found
    if len(rows) > 2 * FETCH:
        best = np.argpartition(-values, 2 * FETCH)[: 2 * FETCH]
        rows, values = rows[best], values[best]
    order = np.lexsort((ids[rows], -np.round(values, 6)))[:FETCH]
    return rows[order], values[order]


def _fills(meant: float | None, similar: float, written: bool) -> bool:
    """Whether a same-topic question is close enough to be filler: its answers close to the
    page's, or, for a page a person wrote (no template: its words say what it asks), its
    question similar enough and its answers not far off. A templated page's similarity is
    that of bare names, so it never counts there. (Thresholds: docs/related.md.)"""
    if meant is not None and meant >= FILL_MEANING:
        return True
    return written and similar >= FILL_SIMILAR and (meant is None or meant >= FILL_FLOOR)


def _why(reason: FocusReason, foci: Foci, other: str) -> str:
    name = foci.by_key[other].name or other
    return {
        "broader": f"{name}: the wider heading in MeSH",
        "narrower": f"{name}: a kind of it in MeSH",
        "same family": f"{name}: filed under the same MeSH heading",
        "same subject": f"{name}: part of the same subject",
        "close in meaning": f"{name}: what the sources say about both is close",
    }[reason]


def _templates(
    docs: Sequence[SearchDoc], vectors: Vectors
) -> tuple[NDArray[np.intp], Vectors, NDArray[np.float32]]:
    """Each row's template group (0: none), the groups' mean vectors (row 0: zeros), and the
    inverse norm of each row's vector once its group's mean is subtracted."""
    patterns = [_pattern(d) for d in docs]
    counts = Counter(p for p in patterns if p)
    kept = sorted(p for p, n in counts.items() if n >= MIN_TEMPLATE)
    number = {p: g for g, p in enumerate(kept, start=1)}
    group = np.array([number.get(p, 0) if p else 0 for p in patterns], dtype=np.intp)
    means = np.zeros((len(kept) + 1, vectors.shape[1]), dtype=np.float32)
    inv_norm = np.ones(len(docs), dtype=np.float32)
    for g in range(1, len(kept) + 1):
        rows = np.flatnonzero(group == g)
        means[g] = vectors[rows].mean(axis=0)
        norms = np.linalg.norm(vectors[rows] - means[g], axis=1)
        inv_norm[rows] = 1.0 / np.maximum(norms, 1e-6)
    return group, means, inv_norm


def _pattern(doc: SearchDoc) -> str | None:
    """The title with its focus replaced by {}: "What causes {}?" for "What causes Gout?"."""
    if not doc.focus:
        return None
    found = re.search(re.escape(doc.focus), doc.title, re.IGNORECASE)
    if found is None or not (doc.title[: found.start()] + doc.title[found.end() :]).strip():
        return None
    return f"{doc.title[: found.start()]}{{}}{doc.title[found.end() :]}"


def _spread(candidates: Sequence[_Candidate], k: int, reserved: int) -> list[_Candidate]:
    """Up to `k` candidates, in candidate order, spread over question types and foci; each
    pass relaxes the rules to fill the places the previous one left empty. `reserved` places
    are kept for close foci in the first pass."""
    passes = (
        _Limits(MAX_PER_TYPE, max(k - reserved, 1), one_per_focus=True, weak_until=0),
        _Limits(MAX_PER_TYPE + 1, k, one_per_focus=False, weak_until=0),
        _Limits(MAX_PER_TYPE + 1, k, one_per_focus=True, weak_until=MIN_ITEMS),
        _Limits(MAX_PER_TYPE + 1, k, one_per_focus=False, weak_until=MIN_ITEMS),
    )
    chosen: dict[int, int] = {}  # doc id -> position in candidates
    for limits in passes:
        for position, c in enumerate(candidates):
            if len(chosen) == k:
                break
            picked = [candidates[p] for p in chosen.values()]
            if c.doc.id not in chosen and _fits(c, picked, limits):
                chosen[c.doc.id] = position
    return [candidates[p] for p in sorted(chosen.values())]


def _fits(c: _Candidate, picked: Sequence[_Candidate], limits: _Limits) -> bool:
    if c.weak and len(picked) >= limits.weak_until:
        return False
    kind = c.doc.question_type
    if kind and sum(p.doc.question_type == kind for p in picked) >= limits.per_type:
        return False
    if c.same_focus and sum(p.same_focus for p in picked) >= limits.same_focus:
        return False
    return not (limits.one_per_focus and _spread_key(c) in {_spread_key(p) for p in picked})


def _spread_key(c: _Candidate) -> tuple[bool, str]:
    """Same-focus items differ by question type, the others by focus."""
    if c.same_focus:
        return True, c.doc.question_type or f"#{c.doc.id}"
    return False, c.focus or f"#{c.doc.id}"


def _distinct_titles(seen: set[str], candidates: Iterable[_Candidate]) -> list[_Candidate]:
    """Candidates without a title `seen` before (the page's own question asked again) nor
    repeats of one title; adds theirs to `seen`."""
    out = []
    for c in candidates:
        if c.title not in seen:
            seen.add(c.title)
            out.append(c)
    return out


def _item(c: _Candidate) -> RelatedItem:
    doc = c.doc
    return RelatedItem(
        doc.external_id,
        doc.title,
        doc.display_title,
        _snippet(doc),
        doc.topic,
        doc.question_type,
        c.reason,
        c.why,
    )


def _snippet(doc: SearchDoc) -> str:
    """The start of the first answer, else of the asker's words, else where the answer is:
    MedQuAD's A.D.A.M., drug and herb answers were removed for copyright, and none is made up."""
    text = doc.answer.strip() or doc.body.strip() or f"Answer on {doc.source_name}"
    return snippet(text, SNIPPET_CHARS)


def _names(doc: SearchDoc) -> set[str]:
    """The focus and its synonyms, without general words ("Speed", "Period") that name no
    one condition when they stand alone."""
    names = {_key(n) for n in (doc.focus, *doc.synonyms)}
    return {n for n in names if n and n not in COMMON_WORDS}


def focus_keys(docs: Iterable[SearchDoc]) -> dict[int, str]:
    """question id -> its focus as compared; a question without a focus is its own."""
    return {d.id: _key(d.focus) or f"#{d.id}" for d in docs}


def _key(text: str) -> str:
    """A name or title as compared: case, punctuation and possessives ignored, so that
    "Friedreich's ataxia" (NINDS) is "Friedreich ataxia" (Genetics Home Reference)."""
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


def _rounded(score: float) -> float:
    """Scores equal to 6 decimals tie, and ties go to the lower id: float noise never reorders."""
    return round(score, 6)


_neighbourhoods: weakref.WeakKeyDictionary[SearchIndex, _Neighbourhood] = (
    weakref.WeakKeyDictionary()
)
_neighbourhoods_lock = threading.Lock()


def _neighbourhood(index: SearchIndex) -> _Neighbourhood:
    """The index's neighbourhood, rebuilt (and its cache emptied) when the index changed."""
    version, docs, ids, vectors = _index_state(index)
    with _neighbourhoods_lock:
        current = _neighbourhoods.get(index)
        if current is None or current.version != version:
            current = _neighbourhoods[index] = _Neighbourhood(index, version, docs, ids, vectors)
        return current


def _index_state(
    index: SearchIndex,
) -> tuple[object, Documents, NDArray[np.int64], Vectors]:
    """The index's version, then its docs and its rows of question ids and vectors, read in
    that order so the data is never older than the version."""
    version = index.version
    ids, vectors = index.semantic.rows()
    return version, index.docs, ids, vectors
