"""The questions as the search indexes see them, and how to tell when the base has changed."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, Text, and_, cast, func, select, text

from healthqa.store.models import Answer, Question, QuestionDeletion, Source, Topic

ANSWER_CHARS = 2_000  # the start of the first answer is enough to match on; keeps indexes small
SEARCHABLE = "published"
CACHE = 20_000  # documents a StoredDocs keeps: an ask reads ~200, an article 3
FETCH_BATCH = 2_000  # ids per query when reading documents


@dataclass(frozen=True)
class SearchDoc:
    """One searchable question with what ranking and result cards need."""

    id: int
    external_id: str
    title: str  # as the source wrote it: what the indexes read
    display_title: str  # as pages show it (ingest/titles.py)
    body: str
    focus: str
    synonyms: tuple[str, ...]
    question_type: str | None
    topic: str
    source: str
    source_name: str
    source_url: str | None
    answer: str
    cuis: tuple[str, ...] = ()  # UMLS concepts of the focus (MedQuAD), for related lists
    semantic_group: str | None = None

    @property
    def embed_text(self) -> str:
        """What the semantic index embeds: the question, with the asker's words if any."""
        return embed_text(self.title, self.body)


def embed_text(title: str, body: str) -> str:
    """What the semantic index embeds of a question: its title, then the start of the
    asker's words."""
    return f"{title} {body[:500]}".strip() if body else title


@dataclass(frozen=True)
class Watermark:
    """A cheap summary of the base (two index look-ups, whatever its size): when it differs,
    the indexes catch up."""

    last_update: datetime | None  # the latest change to any question, whatever its status
    deletions: int  # the last question deleted outright (`question_deletions.seq`), 0 if none


# Two index look-ups. Not a count of the searchable questions: PostgreSQL reads the whole
# table for one (190 ms at a million questions, every second in every worker).
WATERMARK = select(
    select(func.max(Question.updated_at)).scalar_subquery(),
    select(func.coalesce(func.max(QuestionDeletion.seq), 0)).scalar_subquery(),
)


def watermark(engine: Engine) -> Watermark:
    with engine.connect() as conn:
        row = conn.execute(WATERMARK).one()
    return Watermark(row[0], int(row[1]))


def deleted_since(engine: Engine, seq: int) -> list[int]:
    """Questions deleted outright after deletion `seq` (the trigger of migration 0013)."""
    query = select(QuestionDeletion.question_id).where(QuestionDeletion.seq > seq)
    with engine.connect() as conn:
        return list(conn.scalars(query))


def searchable_ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.scalars(select(Question.id).where(Question.status == SEARCHABLE)))


def unpublished_since(engine: Engine, since: datetime) -> list[int]:
    """Questions changed after `since` that are not searchable (hidden, pending, removed)."""
    query = select(Question.id).where(Question.updated_at > since, Question.status != SEARCHABLE)
    with engine.connect() as conn:
        return list(conn.scalars(query))


def load_docs(
    engine: Engine, *, ids: Sequence[int] | None = None, since: datetime | None = None
) -> list[SearchDoc]:
    """Searchable questions (all, or those with `ids`, or updated after `since`)."""
    first_answer = and_(
        Answer.question_id == Question.id, Answer.position == 0, Answer.status == "published"
    )
    query = (
        select(
            Question.id,
            Question.external_id,
            Question.title,
            func.coalesce(Question.display_title, Question.title),
            Question.body,
            Question.focus,
            Question.synonyms,
            Question.question_type,
            Topic.slug,
            Source.key,
            Source.name,
            Question.source_url,
            func.substr(Answer.body, 1, ANSWER_CHARS),
            Question.cuis,
            Question.semantic_group,
        )
        .join(Topic, Topic.id == Question.topic_id)
        .join(Source, Source.id == Question.source_id)
        .outerjoin(Answer, first_answer)
        .where(Question.status == SEARCHABLE)
        .order_by(Question.id)
    )
    if ids is not None:
        query = query.where(Question.id.in_(list(ids)))
    if since is not None:
        query = query.where(Question.updated_at > since)
    with engine.connect() as conn:
        return [
            SearchDoc(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4] or "",
                r[5] or "",
                tuple(r[6] or ()),
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                r[12] or "",
                tuple(r[13] or ()),
                r[14],
            )
            for r in conn.execute(query)
        ]


def focus_rows(engine: Engine) -> list[FocusRow]:
    """Every distinct (focus, synonyms, UMLS concepts, semantic group) of the searchable
    questions, in the order of the first question carrying each: what the focus names and the
    concepts per focus are made of, read without loading the questions."""
    as_text = [cast(c, Text) for c in (Question.synonyms, Question.cuis)]
    query = (
        select(Question.focus, *as_text, Question.semantic_group, func.min(Question.id))
        .where(Question.status == SEARCHABLE, func.coalesce(Question.focus, "") != "")
        .group_by(Question.focus, *as_text, Question.semantic_group)
        .order_by(func.min(Question.id))
    )
    with engine.connect() as conn:
        return [
            FocusRow(row[0], tuple(_list(row[1])), tuple(_list(row[2])), row[3])
            for row in conn.execute(query)
        ]


@dataclass(frozen=True)
class FocusRow:
    focus: str
    synonyms: tuple[str, ...]
    cuis: tuple[str, ...]
    semantic_group: str | None


def _list(stored: str | None) -> list[str]:
    value = json.loads(stored) if stored else []
    return value if isinstance(value, list) else []


def question_types(engine: Engine) -> list[str]:
    """The question types of the searchable questions, sorted."""
    query = (
        select(Question.question_type)
        .where(Question.status == SEARCHABLE, Question.question_type.is_not(None))
        .distinct()
    )
    with engine.connect() as conn:
        return sorted(t for t in conn.scalars(query) if t)


def neighbours_in_topic(engine: Engine, question_id: int) -> tuple[int | None, int | None]:
    """The searchable questions just before and after `question_id` in its topic, by id: two
    index look-ups, for a base too large to keep every topic's ids in each worker."""
    with engine.connect() as conn:
        found = conn.execute(_NEIGHBOURS, {"id": question_id}).first()
    return (None, None) if found is None else (found[0], found[1])


_NEIGHBOURS = text(
    """SELECT
        (SELECT max(id) FROM questions WHERE topic_id = page.topic_id AND id < :id
            AND status = :searchable),
        (SELECT min(id) FROM questions WHERE topic_id = page.topic_id AND id > :id
            AND status = :searchable)
    FROM (SELECT topic_id FROM questions WHERE id = :id) AS page"""
).bindparams(searchable=SEARCHABLE)


def ids_by_topic(engine: Engine) -> dict[str, NDArray[np.int64]]:
    """The searchable question ids of each topic, sorted."""
    query = (
        select(Topic.slug, Question.id)
        .join(Topic, Topic.id == Question.topic_id)
        .where(Question.status == SEARCHABLE)
        .order_by(Question.id)
    )
    found: dict[str, list[int]] = {}
    with engine.connect() as conn:
        for slug, qid in conn.execute(query):
            found.setdefault(slug, []).append(qid)
    return {slug: np.array(ids, dtype=np.int64) for slug, ids in found.items()}


class MemoryDocs(dict[int, SearchDoc]):
    """Every searchable question in this process's memory: beside the embedded backend,
    whose indexes are in memory too."""

    def fetch(self, ids: Iterable[int]) -> dict[int, SearchDoc]:
        """The documents of `ids` that are searchable, in the order given."""
        return {i: self[i] for i in ids if i in self}

    def apply(self, changed: Sequence[SearchDoc], gone: Sequence[int]) -> None:
        for qid in gone:
            self.pop(qid, None)
        self.update({d.id: d for d in changed})


class StoredDocs(Mapping[int, SearchDoc]):
    """The searchable questions read from the database when wanted, the most recently used
    kept: beside the PostgreSQL backend, so that a worker's memory does not grow with the base
    (a million questions are ~2 GB as SearchDocs). Safe to share between threads."""

    def __init__(self, engine: Engine, cache: int = CACHE) -> None:
        self.engine = engine
        self._ids = np.array(sorted(searchable_ids(engine)), dtype=np.int64)
        self._size = cache
        self._cache: OrderedDict[int, SearchDoc] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, qid: int) -> SearchDoc:
        found = self.fetch([qid])
        if qid not in found:
            raise KeyError(qid)
        return found[qid]

    def __contains__(self, qid: object) -> bool:
        if not isinstance(qid, (int, np.integer)):
            return False
        ids = self._ids  # once: `apply` may replace it meanwhile
        at = int(np.searchsorted(ids, qid))
        return at < len(ids) and int(ids[at]) == qid

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids.tolist())

    def __len__(self) -> int:
        return len(self._ids)

    def fetch(self, ids: Iterable[int]) -> dict[int, SearchDoc]:
        """The documents of `ids` that are searchable, in the order given: one query for
        those not kept (per FETCH_BATCH)."""
        wanted = [i for i in dict.fromkeys(ids) if i in self]
        with self._lock:
            found = {i: self._cache[i] for i in wanted if i in self._cache}
            for i in found:
                self._cache.move_to_end(i)
        missing = [i for i in wanted if i not in found]
        found |= {d.id: d for d in self._read(missing)}
        if missing and len(missing) <= self._size:  # a bulk read would only evict the rest
            with self._lock:
                self._cache.update((i, found[i]) for i in missing if i in found)
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return {i: found[i] for i in wanted if i in found}

    def values(self) -> ValuesView[SearchDoc]:
        return _Values(self)

    def items(self) -> ItemsView[int, SearchDoc]:
        return _Items(self)

    def stream(self) -> Iterator[SearchDoc]:
        """Every document, read FETCH_BATCH at a time and not kept (for whole-base jobs)."""
        return self._read(self._ids.tolist())

    def _read(self, ids: list[int]) -> Iterator[SearchDoc]:
        for start in range(0, len(ids), FETCH_BATCH):
            yield from load_docs(self.engine, ids=ids[start : start + FETCH_BATCH])

    def apply(self, changed: Sequence[SearchDoc], gone: Sequence[int]) -> None:
        with self._lock:
            ids = np.union1d(self._ids, np.array([d.id for d in changed], dtype=np.int64))
            self._ids = np.setdiff1d(ids, np.array(gone, dtype=np.int64))
            for qid in gone:
                self._cache.pop(qid, None)
            for doc in changed:
                if doc.id in self._cache:
                    self._cache[doc.id] = doc


class _Values(ValuesView[SearchDoc]):
    _mapping: StoredDocs

    def __iter__(self) -> Iterator[SearchDoc]:
        return self._mapping.stream()


class _Items(ItemsView[int, SearchDoc]):
    _mapping: StoredDocs

    def __iter__(self) -> Iterator[tuple[int, SearchDoc]]:
        return ((d.id, d) for d in self._mapping.stream())


Documents = MemoryDocs | StoredDocs
