"""Read the knowledge base: one question, lists of questions, counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, exists, func, select
from sqlalchemy.orm import Session, selectinload

from healthqa.errors import NotFound
from healthqa.store.models import Answer, Question, Source, Topic


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


def neighbours(engine: Engine, question: Question) -> tuple[Question | None, Question | None]:
    """The published questions just before and after `question` in its topic, by id."""
    same_topic = (
        select(Question)
        .where(Question.topic_id == question.topic_id, Question.status == PUBLISHED)
        .options(selectinload(Question.topic))
    )
    with Session(engine) as s:
        before = s.scalar(
            same_topic.where(Question.id < question.id).order_by(Question.id.desc()).limit(1)
        )
        after = s.scalar(same_topic.where(Question.id > question.id).order_by(Question.id).limit(1))
    return before, after


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


def published_pages(engine: Engine) -> list[tuple[str, str, datetime]]:
    """(external id, display title, last update) of every published question, by id: the
    sitemap (a question's URL is made from its display title, or its title until that is set)."""
    shown = func.coalesce(Question.display_title, Question.title)
    query = (
        select(Question.external_id, shown, Question.updated_at)
        .where(Question.status == PUBLISHED)
        .order_by(Question.id)
    )
    with engine.connect() as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(query)]
