"""Read the knowledge base: one question, lists of questions, counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, exists, func, select
from sqlalchemy.orm import Session, selectinload

from healthqa.store.models import Answer, Question, Source, Topic


class QuestionNotFound(Exception):
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
