"""Related lists kept in the database: computed once (when `healthqa index` builds the index,
or on the first view of a question whose list is missing or older than the question), then
read by every worker and server in one indexed query, so a cold article page computes nothing.

A list is made again when its question changed after it (`made_at` < `updated_at`) or the
rules changed (`VERSION`). An item whose question is no longer published is left out when read;
a question published later joins other lists when the next `healthqa index` rebuilds them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from healthqa.related import meaning
from healthqa.related.lists import (
    MAX_K,
    PAGE_K,
    RelatedError,
    RelatedItem,
    _neighbourhood,
    focus_keys,
    related,
    same_focus,
)
from healthqa.search.documents import SEARCHABLE
from healthqa.search.index import SearchIndex
from healthqa.store.models import Question, RelatedEntry, RelatedList, Topic

VERSION = "3"  # of the rules in lists and foci: bump it when a change should reach every list
WRITE_BATCH = 500  # lists written per transaction by `build_all`
# A web worker over a larger base in the database never holds it all (`listed`): 100,000
# questions' vectors and documents are ~350 MB
HELD_IN_MEMORY = 100_000


def read(engine: Engine, question_id: int, *, fresh: bool = True) -> list[RelatedItem] | None:
    """The kept list of a question, or None when there is none (`fresh`: none of this version
    made since the question last changed)."""
    wanted = {"question_id": question_id, "version": VERSION}
    with engine.connect() as conn:
        if conn.scalar(_FRESH if fresh else _ANY, wanted) is None:
            return None
        return [
            RelatedItem(e, t, d or t, s, topic, kind, reason, why)  # type: ignore[arg-type]
            for e, t, d, s, topic, kind, reason, why in conn.execute(_ITEMS, wanted)
        ]


# Built once: building a statement costs more than SQLite takes to run it (0.5 ms a page).
_FRESH = (
    select(RelatedList.question_id)
    .join(Question, Question.id == RelatedList.question_id)
    .where(
        RelatedList.question_id == bindparam("question_id"),
        RelatedList.version == bindparam("version"),
        RelatedList.made_at >= Question.updated_at,
    )
)
_ANY = select(RelatedList.question_id).where(RelatedList.question_id == bindparam("question_id"))
_ITEMS = (
    select(
        Question.external_id,
        Question.title,
        Question.display_title,
        RelatedEntry.snippet,
        Topic.slug,
        Question.question_type,
        RelatedEntry.reason,
        RelatedEntry.why,
    )
    .join(Question, Question.id == RelatedEntry.related_id)
    .join(Topic, Topic.id == Question.topic_id)
    .where(RelatedEntry.question_id == bindparam("question_id"), Question.status == SEARCHABLE)
    .order_by(RelatedEntry.position)
)


def listed(index: SearchIndex, question_id: int, k: int = PAGE_K) -> list[RelatedItem]:
    """What a web worker shows (`k` items) for a question the index holds: on a base it holds
    in memory, the kept list (made now if missing or stale) or, for other lengths, one
    computed. Where the vectors are in the database and the base is larger than
    HELD_IN_MEMORY, a worker never builds the neighbourhood (all vectors and documents: 1.5 GB
    and more at a million questions): it shows the kept list even if its question changed
    since (the next `healthqa index` remakes it), and for a question without one the questions
    of its focus (`lists.same_focus`), kept until then."""
    if not 1 <= k <= MAX_K:
        raise RelatedError(f"k must be between 1 and {MAX_K}, got {k}")
    found = read(index.engine, question_id) if k == PAGE_K else None
    if found is not None:
        return found
    if question_id not in index.docs:  # published a moment ago: the index catches up shortly
        return []
    if not index.semantic.in_database or len(index.docs) <= HELD_IN_MEMORY:
        return keep(index, question_id) if k == PAGE_K else related(index, question_id, k)
    found = read(index.engine, question_id, fresh=False)
    if found is None:
        found = same_focus(index, question_id, _of_focus(index.engine, question_id), PAGE_K)
        write(index.engine, {question_id: found})
    return found[:k]


def _of_focus(engine: Engine, question_id: int) -> list[int]:
    """The published questions whose focus is the question's, case aside (at most 1,000)."""
    with engine.connect() as conn:
        return list(conn.scalars(_OF_FOCUS, {"question_id": question_id}))


_page = select(Question.focus).where(Question.id == bindparam("question_id")).scalar_subquery()
_OF_FOCUS = (
    select(Question.id)
    .where(
        func.lower(Question.focus) == func.lower(_page),
        Question.status == SEARCHABLE,
        Question.id != bindparam("question_id"),
    )
    .order_by(Question.id)
    .limit(1_000)
)


def kept(index: SearchIndex, question_id: int) -> list[RelatedItem]:
    """The page's list: the kept one, else computed now and kept for every worker."""
    found = read(index.engine, question_id)
    return keep(index, question_id) if found is None else found


def keep(index: SearchIndex, question_id: int) -> list[RelatedItem]:
    """Compute the page's list now and keep it (for a caller that has just found none)."""
    index.refresh()
    found = _neighbourhood(index).related(question_id, PAGE_K)
    if question_id in index.docs:
        write(index.engine, {question_id: found})
    return found


def embed_meanings(index: SearchIndex) -> tuple[int, Callable[[Callable[[int], None]], None]]:
    """How many focus texts lists need embedded, and the work that embeds those not cached
    yet (given a progress callback): the long part of a first `build_all`."""
    docs = list(index.docs.values())
    texts = meaning.texts(docs, focus_keys(docs))

    def run(advance: Callable[[int], None]) -> None:
        meaning.vectors(index, texts, advance)

    return len(texts), run


def build_all(
    index: SearchIndex, advance: Callable[[int], None] = lambda n: None, workers: int = 1
) -> int:
    """Compute and keep the list of every question the index holds, in `workers` processes
    (`lists._Neighbourhood.many`: only from a command, never in a web worker); returns how
    many."""
    neighbourhood = _neighbourhood(index)
    ids = sorted(index.docs)
    batch: dict[int, list[RelatedItem]] = {}
    for question_id, items in neighbourhood.many(ids, PAGE_K, workers):
        batch[question_id] = items
        if len(batch) == WRITE_BATCH:
            write(index.engine, batch)
            advance(len(batch))
            batch = {}
    write(index.engine, batch)
    advance(len(batch))
    return len(ids)


def write(engine: Engine, lists: dict[int, list[RelatedItem]]) -> None:
    """Replace the kept lists of these questions, in one transaction. Two workers keeping the
    same list at once make the same list: the second one's insert may clash, and is dropped."""
    if not lists:
        return
    ids_of = _internal_ids(engine, {i.id for items in lists.values() for i in items})
    now = datetime.now(UTC)
    heads = [{"question_id": q, "version": VERSION, "made_at": now} for q in lists]
    rows = [
        {
            "question_id": q,
            "position": position,
            "related_id": ids_of[item.id],
            "reason": item.reason,
            "why": item.why[:400],
            "snippet": item.snippet[:200],
        }
        for q, items in lists.items()
        for position, item in enumerate(items)
    ]
    try:
        with engine.begin() as conn:
            conn.execute(delete(RelatedList).where(RelatedList.question_id.in_(list(lists))))
            conn.execute(insert(RelatedList), heads)
            if rows:
                conn.execute(insert(RelatedEntry), rows)
    except IntegrityError:
        pass  # another worker kept these lists a moment ago, or a question was just deleted


def _internal_ids(engine: Engine, external_ids: set[str]) -> dict[str, int]:
    query = select(Question.external_id, Question.id).where(
        Question.external_id.in_(sorted(external_ids))
    )
    with engine.connect() as conn:
        return {e: i for e, i in conn.execute(query)}
