"""Read the knowledge base: one question, lists of questions, counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from healthqa.errors import NotFound
from healthqa.store.models import Answer, Question, QuestionTriage, ReadingGrade, Source, Topic


class QuestionNotFound(NotFound):
    """No question has this id."""


@dataclass
class Stats:
    questions: int
    answers: int
    answered: int
    unanswered: int
    by_source: dict[str, int]
    by_topic: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stats(engine: Engine) -> Stats:
    """Counts of questions and answers, by source and by topic (every topic, even empty)."""
    has_answer = exists().where(Answer.question_id == Question.id)
    with Session(engine) as s:
        questions = s.scalar(select(func.count(Question.id))) or 0
        answered = s.scalar(select(func.count(Question.id)).where(has_answer)) or 0
        by_source = s.execute(
            select(Source.key, func.count(Question.id))
            .join(Question, isouter=True)
            .group_by(Source.key)
            .order_by(Source.key)
        )
        by_topic = s.execute(
            select(Topic.slug, func.count(Question.id))
            .join(Question, isouter=True)
            .group_by(Topic.slug, Topic.position)
            .order_by(Topic.position)
        )
        return Stats(
            questions=questions,
            answers=s.scalar(select(func.count(Answer.id))) or 0,
            answered=answered,
            unanswered=questions - answered,
            by_source={k: n for k, n in by_source},
            by_topic={k: n for k, n in by_topic},
        )


def get_question(engine: Engine, external_id: str) -> Question:
    """A question with its answers, topic and source loaded; QuestionNotFound otherwise."""
    with Session(engine) as s:
        question = s.scalar(
            select(Question)
            .where(Question.external_id == external_id)
            .options(
                selectinload(Question.answers),
                selectinload(Question.topic),
                selectinload(Question.source),
            )
        )
    if question is None:
        raise QuestionNotFound(f"no question with id {external_id!r}")
    return question


def list_questions(
    engine: Engine, *, topic: str | None = None, limit: int = 50, offset: int = 0
) -> list[Question]:
    """Published questions, newest first, optionally of one topic (by slug)."""
    query = (
        select(Question)
        .where(Question.status == "published")
        .options(selectinload(Question.topic), selectinload(Question.source))
        .order_by(Question.created_at.desc(), Question.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if topic:
        query = query.join(Topic).where(Topic.slug == topic)
    with Session(engine) as s:
        return list(s.scalars(query))


# ----- for the website: published questions only -----

PUBLISHED = "published"


def list_topics(engine: Engine) -> list[tuple[Topic, int]]:
    """Every topic in its display order, with its number of published questions."""
    published = (
        select(Question.topic_id, func.count(Question.id).label("n"))
        .where(Question.status == PUBLISHED)
        .group_by(Question.topic_id)
        .subquery()
    )
    query = (
        select(Topic, func.coalesce(published.c.n, 0))
        .outerjoin(published, published.c.topic_id == Topic.id)
        .order_by(Topic.position)
    )
    with Session(engine) as s:
        return [(topic, int(n)) for topic, n in s.execute(query)]


def list_sources(engine: Engine) -> list[Source]:
    """Every source that has published questions, by name."""
    has_published = exists().where(Question.source_id == Source.id, Question.status == PUBLISHED)
    with Session(engine) as s:
        return list(s.scalars(select(Source).where(has_published).order_by(Source.name)))


def published_by_ids(engine: Engine, external_ids: Sequence[str]) -> list[Question]:
    """The published questions among `external_ids`, in that order; other ids are skipped."""
    query = (
        select(Question)
        .where(Question.external_id.in_(external_ids), Question.status == PUBLISHED)
        .options(selectinload(Question.topic), selectinload(Question.source))
    )
    with Session(engine) as s:
        found = {q.external_id: q for q in s.scalars(query)}
    return [found[i] for i in dict.fromkeys(external_ids) if i in found]


def first_of_each_topic(engine: Engine) -> list[Question]:
    """Each topic's first published question with a published answer (the lowest id), the
    topics in their display order."""
    answered = exists().where(Answer.question_id == Question.id, Answer.status == PUBLISHED)
    firsts = (
        select(func.min(Question.id).label("id"))
        .where(Question.status == PUBLISHED, answered)
        .group_by(Question.topic_id)
        .subquery()
    )
    query = (
        select(Question)
        .join(firsts, firsts.c.id == Question.id)
        .join(Topic, Topic.id == Question.topic_id)
        .options(selectinload(Question.topic), selectinload(Question.source))
        .order_by(Topic.position, Question.id)
    )
    with Session(engine) as s:
        return list(s.scalars(query))


def published_count(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.scalar(select(func.count(Question.id)).where(Question.status == PUBLISHED))
    return int(found or 0)


def published_pages(
    engine: Engine, offset: int = 0, limit: int | None = None
) -> list[tuple[str, str, datetime]]:
    """(external id, display title, last update) of the published questions, by id, from the
    `offset`th (`limit` of them, or all): the sitemap (a question's URL is made from its display
    title, or its title until that is set)."""
    shown = func.coalesce(Question.display_title, Question.title)
    query = (
        select(Question.external_id, shown, Question.updated_at)
        .where(Question.status == PUBLISHED)
        .order_by(Question.id)
        .offset(offset)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(query)]


# ----- an article page: two queries, built once -----
# Statements built once and run with bound values: SQLAlchemy then skips building and keying
# them, which took more time than SQLite's own work (0.6 ms against 0.02 ms per question).

_Q, _T, _S, _K = (m.__table__.c for m in (Question, Topic, Source, QuestionTriage))
_A = Answer.__table__
_ARTICLE = (
    select(
        _Q.id,
        _Q.external_id,
        _Q.title,
        func.coalesce(_Q.display_title, _Q.title).label("display_title"),
        _Q.body,
        _Q.focus,
        _Q.focus_category,
        _Q.question_type,
        _Q.source_url,
        _Q.created_at,
        _Q.updated_at,
        _T.slug.label("topic"),
        _S.key.label("source_key"),
        _S.name.label("source_name"),
        _S.url.label("source_home"),
        _S.licence,
        _S.attribution,
        _K.key.label("triage_key"),
        _K.result.label("triage"),
    )
    .join_from(Question.__table__, Topic.__table__, _T.id == _Q.topic_id)
    .join(Source.__table__, _S.id == _Q.source_id)
    .outerjoin(QuestionTriage.__table__, _K.question_id == _Q.id)
    .where(_Q.external_id == bindparam("external_id"), _Q.status == PUBLISHED)
)
_ANSWERS = (
    select(_A)
    .where(_A.c.question_id == bindparam("question_id"), _A.c.status == PUBLISHED)
    .order_by(_A.c.position)
)


@dataclass(frozen=True)
class KeptTriage:
    """A question's triage as kept (`QuestionTriage`): valid while `key` is its question's."""

    key: str
    result: dict[str, Any]


@dataclass(frozen=True)
class ArticleRow:
    """A published question as its page reads it: its fields, its topic's slug, its source,
    its published answers in order, and its kept triage (None when none was kept)."""

    id: int
    external_id: str
    title: str
    display_title: str
    body: str
    focus: str
    focus_category: str | None
    question_type: str | None
    source_url: str | None
    created_at: datetime
    updated_at: datetime
    topic: str
    source: Source
    answers: list[Answer]
    triage: KeptTriage | None


def published_article(engine: Engine, external_id: str) -> ArticleRow | None:
    """The published question `external_id` with what its page shows, or None."""
    with engine.connect() as conn:
        r = conn.execute(_ARTICLE, {"external_id": external_id}).one_or_none()
        if r is None:
            return None
        answers = conn.execute(_ANSWERS, {"question_id": r.id}).mappings().all()
    return ArticleRow(
        id=r.id,
        external_id=r.external_id,
        title=r.title,
        display_title=r.display_title,
        body=r.body or "",
        focus=r.focus or "",
        focus_category=r.focus_category,
        question_type=r.question_type,
        source_url=r.source_url,
        created_at=r.created_at,
        updated_at=r.updated_at,
        topic=r.topic,
        source=Source(
            key=r.source_key,
            name=r.source_name,
            url=r.source_home,
            licence=r.licence,
            attribution=r.attribution,
        ),
        answers=[Answer(**a) for a in answers],
        triage=KeptTriage(r.triage_key, r.triage) if r.triage_key is not None else None,
    )


def triage_texts(engine: Engine) -> list[tuple[int, str, str, str | None]]:
    """(id, title, body, kept triage's key or None) of every published question, by id."""
    query = (
        select(Question.id, Question.title, Question.body, QuestionTriage.key)
        .outerjoin(QuestionTriage, QuestionTriage.question_id == Question.id)
        .where(Question.status == PUBLISHED)
        .order_by(Question.id)
    )
    with engine.connect() as conn:
        return [(r[0], r[1], r[2] or "", r[3]) for r in conn.execute(query)]


def keep_triage(engine: Engine, rows: Sequence[tuple[int, str, dict[str, Any]]]) -> None:
    """Keep (question id, key, result) triages, replacing what each question had."""
    if not rows:
        return
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(QuestionTriage)
    upsert = insert.on_conflict_do_update(
        index_elements=["question_id"],
        set_={"key": insert.excluded.key, "result": insert.excluded.result},
    )
    values = [{"question_id": q, "key": k, "result": r} for q, k, r in rows]
    with engine.begin() as conn:
        conn.execute(upsert, values)


def kept_grades(engine: Engine, keys: Sequence[str]) -> dict[str, float | None]:
    """The kept reading grades of these text keys (those kept; a None grade is kept too)."""
    if not keys:
        return {}
    query = select(ReadingGrade.key, ReadingGrade.grade).where(ReadingGrade.key.in_(keys))
    with engine.connect() as conn:
        return {key: grade for key, grade in conn.execute(query)}


def keep_grades(engine: Engine, grades: dict[str, float | None]) -> None:
    """Keep reading grades by text key; a key kept already (by another worker) is left."""
    if not grades:
        return
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(ReadingGrade).on_conflict_do_nothing(index_elements=["key"])
    with engine.begin() as conn:
        conn.execute(insert, [{"key": k, "grade": g} for k, g in grades.items()])
