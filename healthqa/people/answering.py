"""Answers written on the site by verified experts: the queue of open questions, answering in
Markdown, editing with a revision history, and endorsements by other experts.

A new answer passes the spam check (a flagged one waits for a moderator); once published, its
question becomes public and joins the knowledge base (the site's index catches up before the
answer's response goes out; other worker processes within a second), and the asker is told:
by mail when they left an address, and on their private page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthqa.errors import NotAllowed, NotFound, Refused
from healthqa.kb import KnowledgeBase
from healthqa.people import limits
from healthqa.people.accounts.experts import Profile, get_profile, specialities
from healthqa.people.accounts.users import Account
from healthqa.people.audit import Actor, record
from healthqa.people.limits import ANSWER_CHARS, MIN_ANSWER_CHARS
from healthqa.people.mail import Links
from healthqa.people.publishing import URGENCY, notify_asker, publish
from healthqa.screening import Screening, SpamRules, TooManyLinks, screen
from healthqa.store.models import (
    Answer,
    AnswerRevision,
    Endorsement,
    ExpertProfile,
    Question,
    Submission,
    Topic,
    User,
)

ANSWERABLE = ("open", "published")


class AnswerRefused(Refused):
    """The answer cannot be taken as it is; the message says why."""


@dataclass(frozen=True)
class QueueItem:
    id: str
    title: str
    body: str
    topic: str
    topic_name: str
    triage_level: str
    created: datetime


def queue(
    engine: Engine,
    topic: str | None = None,
    speciality: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[QueueItem]:
    """Open questions waiting for an expert: emergencies first, then the oldest."""
    query = (
        select(
            Question.external_id, Question.title, Question.body, Topic.slug, Topic.name,
            Submission.triage_level, Question.created_at,
        )
        .join(Topic, Topic.id == Question.topic_id)
        .join(Submission, Submission.question_id == Question.id)
        .where(Question.status == "open", Question.locked.is_(False))
        .order_by(URGENCY, Question.created_at, Question.id)
    )  # fmt: skip
    if topic:
        query = query.where(Topic.slug == topic)
    if speciality:
        slugs = specialities().get(speciality, ())
        if "*" not in slugs:
            query = query.where(Topic.slug.in_(slugs))
    with engine.connect() as conn:
        return [QueueItem(*row) for row in conn.execute(query.limit(limit).offset(offset))]


def answer(
    kb: KnowledgeBase, expert: Account, external_id: str, body: str, links: Links
) -> tuple[int, str]:
    """Add `expert`'s answer; returns its id and status ("published", or "pending" when the
    site's spam rules want a moderator to look first). `links` go into the asker's notice."""
    engine = kb.engine
    profile = _verified(engine, expert)
    body, screening = _checked_body(body, kb.spam_rules)
    held = screening.is_spam
    limits.take(engine, f"user:{expert.id}", limits.ANSWERS_PER_HOUR)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        q = _answerable(conn, external_id)
        position = conn.scalar(
            select(func.coalesce(func.max(Answer.position), -1) + 1).where(
                Answer.question_id == q.id
            )
        )
        answer_id = conn.execute(
            insert(Answer)
            .values(
                question_id=q.id, position=position, body=body, author=profile.name,
                author_role=profile.credential, created_at=now, user_id=expert.id,
                format="markdown", status="pending" if held else "published",
            )
            .returning(Answer.id)
        ).scalar_one()  # fmt: skip
        if not held:
            publish(conn, q.id)
    if not held:
        notify_asker(engine, kb.settings, q.id, links)
    return answer_id, "pending" if held else "published"


def edit_answer(
    kb: KnowledgeBase, account: Account, answer_id: int, body: str, actor: Actor
) -> None:
    """Change an answer; the old text is kept as a revision and the page says "edited on"."""
    body, _ = _checked_body(body, kb.spam_rules)
    with kb.engine.begin() as conn:
        row = conn.execute(
            select(Answer.body, Answer.user_id, Answer.question_id, Question.locked)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.id == answer_id)
        ).first()
        if row is None:
            raise NotFound(f"there is no answer {answer_id}")
        old, author, question_id, locked = row
        moderator = account.role in ("moderator", "admin")
        if not moderator and (author != account.id or locked):
            raise NotAllowed("only its author may change this answer, and not once locked")
        if old == body:
            return
        now = datetime.now(UTC)
        conn.execute(
            insert(AnswerRevision).values(
                answer_id=answer_id, body=old, edited_by=account.id, edited_at=now
            )
        )
        conn.execute(update(Answer).where(Answer.id == answer_id).values(body=body, edited_at=now))
        conn.execute(update(Question).where(Question.id == question_id).values(updated_at=now))
        if moderator and author != account.id:
            record(conn, actor, "edit", "answer", answer_id)


def endorse(engine: Engine, expert: Account, answer_id: int, on: bool = True) -> None:
    """A verified expert vouches for another expert's (or a source's) answer."""
    _verified(engine, expert)
    with engine.begin() as conn:
        row = conn.execute(
            select(Answer.user_id, Answer.question_id).where(
                Answer.id == answer_id, Answer.status == "published"
            )
        ).first()
        if row is None:
            raise NotFound(f"there is no answer {answer_id}")
        if row[0] == expert.id:
            raise NotAllowed("you cannot endorse your own answer")
        if on:
            try:
                with conn.begin_nested():
                    conn.execute(insert(Endorsement).values(answer_id=answer_id, user_id=expert.id))
            except IntegrityError:
                return  # endorsed already
        else:
            conn.execute(
                delete(Endorsement).where(
                    Endorsement.answer_id == answer_id, Endorsement.user_id == expert.id
                )
            )
        conn.execute(
            update(Question).where(Question.id == row[1]).values(updated_at=datetime.now(UTC))
        )


@dataclass(frozen=True)
class Endorser:
    name: str
    credential: str


@dataclass(frozen=True)
class Revision:
    body: str
    edited_at: datetime


def endorsers(engine: Engine, answer_ids: list[int]) -> dict[int, list[Endorser]]:
    query = (
        select(Endorsement.answer_id, ExpertProfile.name, ExpertProfile.profession)
        .join(ExpertProfile, ExpertProfile.user_id == Endorsement.user_id)
        .where(Endorsement.answer_id.in_(answer_ids))
        .order_by(Endorsement.created_at)
    )
    found: dict[int, list[Endorser]] = {}
    with engine.connect() as conn:
        for answer_id, name, profession in conn.execute(query):
            found.setdefault(answer_id, []).append(Endorser(name, profession))
    return found


def verified_authors(engine: Engine, user_ids: list[int]) -> set[int]:
    query = select(ExpertProfile.user_id).join(User, User.id == ExpertProfile.user_id)
    query = query.where(
        ExpertProfile.user_id.in_(user_ids),
        ExpertProfile.verified_at.is_not(None),
        User.role == "expert",
    )
    with engine.connect() as conn:
        return set(conn.scalars(query))


def revisions(engine: Engine, answer_id: int) -> list[Revision]:
    query = (
        select(AnswerRevision.body, AnswerRevision.edited_at)
        .where(AnswerRevision.answer_id == answer_id)
        .order_by(AnswerRevision.id.desc())
    )
    with engine.connect() as conn:
        return [Revision(*row) for row in conn.execute(query)]


def _verified(engine: Engine, expert: Account) -> Profile:
    profile = get_profile(engine, expert.id) if expert.role == "expert" else None
    if profile is None or not profile.verified:
        raise NotAllowed("only an expert whose profile a moderator verified may do this")
    return profile


def _checked_body(body: str, rules: SpamRules) -> tuple[str, Screening]:
    """The answer, trimmed, and what the text checks found; AnswerRefused when unusable."""
    body = body.strip()
    if "\x00" in body:
        raise AnswerRefused("the answer contains a NUL character")
    if len(body) < MIN_ANSWER_CHARS:
        raise AnswerRefused(f"write an answer of at least {MIN_ANSWER_CHARS} characters")
    if len(body) > ANSWER_CHARS:
        raise AnswerRefused(f"keep the answer under {ANSWER_CHARS:,} characters", too_long=True)
    try:
        return body, screen(body, "answer", rules)
    except TooManyLinks as exc:
        raise AnswerRefused(str(exc)) from None


def _answerable(conn: Connection, external_id: str) -> Question:
    q = Session(bind=conn).scalar(select(Question).where(Question.external_id == external_id))
    if q is None or q.status not in ANSWERABLE:
        raise NotFound(f"no question {external_id} is waiting for an answer")
    if q.locked:
        raise NotAllowed("a moderator locked this question")
    return q
