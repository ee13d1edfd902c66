"""The moderators' work: the queue of questions and answers waiting for a look, the flags
people raised, and the actions on them (approve, edit, reject with a reason, lock, hide).

Every action is written to the audit log in the same transaction. A pending question whose
triage level is emergency comes first: the asker was shown the urgent-care notice at once, and
a moderator should see it before anything else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import Connection, Engine, String, func, insert, select, update
from sqlalchemy.orm import Session

from healthqa.errors import NotFound, Refused
from healthqa.ingest.write import shown_title
from healthqa.kb import KnowledgeBase
from healthqa.people import limits
from healthqa.people.accounts.users import Account
from healthqa.people.audit import Actor, record
from healthqa.people.limits import DETAILS_CHARS, NOTE_CHARS, TITLE_CHARS
from healthqa.people.mail import Links
from healthqa.people.publishing import URGENCY, notify_asker, publish
from healthqa.store.models import Answer, Flag, Question, Submission

QuestionAction = Literal["approve", "reject", "hide", "unhide", "lock", "unlock", "edit"]
AnswerAction = Literal["approve", "hide", "unhide"]
FlagReason = Literal["spam", "unsafe", "personal", "other"]
QUESTION_ACTIONS: tuple[str, ...] = get_args(QuestionAction)
ANSWER_ACTIONS: tuple[str, ...] = get_args(AnswerAction)
FLAG_REASONS: dict[str, str] = {
    "spam": "Spam or advertising",
    "unsafe": "Unsafe medical advice",
    "personal": "Personal data",
    "other": "Something else",
}
assert tuple(FLAG_REASONS) == get_args(FlagReason)


class ModerationError(Refused):
    """An action that cannot be done; the message says why."""


@dataclass(frozen=True)
class PendingQuestion:
    id: str
    title: str
    body: str
    status: str
    triage_level: str
    spam_score: float
    checks: dict[str, object]
    created: datetime


@dataclass(frozen=True)
class PendingAnswer:
    id: int
    question_id: str
    question_title: str
    body: str
    author: str
    created: datetime


@dataclass(frozen=True)
class OpenFlag:
    id: int
    target: str
    target_id: str  # a question's external id, or an answer's number
    title: str
    reason: str
    note: str
    created: datetime


@dataclass(frozen=True)
class Queue:
    questions: list[PendingQuestion]
    answers: list[PendingAnswer]
    flags: list[OpenFlag]


def moderation_queue(engine: Engine, limit: int = 100) -> Queue:
    """What waits for a moderator: emergencies first, then the likeliest spam, then the oldest."""
    questions = (
        select(
            Question.external_id, Question.title, Question.body, Question.status,
            Submission.triage_level, Submission.spam_score, Submission.checks, Question.created_at,
        )
        .join(Submission, Submission.question_id == Question.id)
        .where(Question.status == "pending")
        .order_by(URGENCY, Submission.spam_score.desc(), Question.created_at, Question.id)
        .limit(limit)
    )  # fmt: skip
    answers = (
        select(Answer.id, Question.external_id, Question.title, Answer.body,
               func.coalesce(Answer.author, ""), Answer.created_at)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.status == "pending")
        .order_by(Answer.created_at)
        .limit(limit)
    )  # fmt: skip
    with engine.connect() as conn:
        return Queue(
            [PendingQuestion(*row) for row in conn.execute(questions)],
            [PendingAnswer(*row) for row in conn.execute(answers)],
            _open_flags(conn, limit),
        )


def _open_flags(conn: Connection, limit: int) -> list[OpenFlag]:
    rows = conn.execute(
        select(Flag.id, Flag.target, Flag.target_id, Flag.reason, Flag.note, Flag.created_at)
        .where(Flag.resolved_at.is_(None))
        .order_by(Flag.created_at)
        .limit(limit)
    ).all()
    flags = []
    for flag_id, target, target_id, reason, note, created in rows:
        if target == "question":
            name_column = Question.external_id
            query = select(name_column, Question.title).where(Question.id == target_id)
        else:
            query = (
                select(func.cast(Answer.id, String), Question.title)
                .join(Question, Question.id == Answer.question_id)
                .where(Answer.id == target_id)
            )
        found = conn.execute(query).first()
        name, title = (str(found[0]), found[1]) if found else (str(target_id), "(deleted)")
        flags.append(OpenFlag(flag_id, target, name, title, reason, note, created))
    return flags


def act_on_question(
    engine: Engine,
    actor: Actor,
    external_id: str,
    action: str,
    *,
    reason: str = "",
    title: str | None = None,
    body: str | None = None,
) -> str:
    """Do `action` to a question; returns its new status."""
    if action not in QUESTION_ACTIONS:
        raise ModerationError(f"unknown action {action!r}: use {', '.join(QUESTION_ACTIONS)}")
    reason = " ".join(reason.split())[:NOTE_CHARS]
    if "\x00" in reason + external_id + (title or "") + (body or ""):
        raise ModerationError("the text contains a NUL character")
    with engine.begin() as conn:
        q = Session(bind=conn).scalar(select(Question).where(Question.external_id == external_id))
        if q is None:
            raise NotFound(f"there is no question {external_id}")
        values = _question_change(conn, q, action, reason, title, body)
        values["updated_at"] = datetime.now(UTC)
        conn.execute(update(Question).where(Question.id == q.id).values(**values))
        if action == "reject":
            conn.execute(
                update(Submission).where(Submission.question_id == q.id).values(reason=reason)
            )
        record(conn, actor, action, "question", external_id, reason)
        return str(values.get("status", q.status))


def _question_change(
    conn: Connection, q: Question, action: str, reason: str, title: str | None, body: str | None
) -> dict[str, object]:
    answered = conn.scalar(
        select(func.count()).where(Answer.question_id == q.id, Answer.status == "published")
    )
    if action == "approve":
        if q.status not in ("pending", "rejected"):
            raise ModerationError(f"only a pending question can be approved (this is {q.status})")
        return {"status": "published" if answered else "open"}
    if action == "reject":
        if not reason:
            raise ModerationError("say why the question is rejected: the asker reads it")
        return {"status": "rejected"}
    if action == "hide":
        return {"status": "hidden"}
    if action == "unhide":
        if q.status != "hidden":
            raise ModerationError("the question is not hidden")
        return {"status": "published" if answered else "open"}
    if action in ("lock", "unlock"):
        return {"locked": action == "lock"}
    title = " ".join((title or "").split())
    if not title or len(title) > TITLE_CHARS or len(body or "") > DETAILS_CHARS:
        raise ModerationError(
            f"an edited question needs a title of 1 to {TITLE_CHARS} characters"
            f" and details of at most {DETAILS_CHARS:,}"
        )
    shown = shown_title(title, q.focus, q.synonyms, q.semantic_types, q.focus_category)
    return {"title": title, "display_title": shown, "body": (body or "").strip()}


def act_on_answer(
    kb: KnowledgeBase, actor: Actor, answer_id: int, action: str, links: Links
) -> str:
    """Do `action` to an answer; returns its new status. A published answer is announced to
    the asker (`links` go into the notice)."""
    engine = kb.engine
    if action not in ANSWER_ACTIONS:
        raise ModerationError(f"unknown action {action!r}: use {', '.join(ANSWER_ACTIONS)}")
    status = {"approve": "published", "hide": "hidden", "unhide": "published"}[action]
    with engine.begin() as conn:
        question_id = conn.scalar(select(Answer.question_id).where(Answer.id == answer_id))
        if question_id is None:
            raise NotFound(f"there is no answer {answer_id}")
        conn.execute(update(Answer).where(Answer.id == answer_id).values(status=status))
        if status == "published":
            publish(conn, question_id)
        else:
            conn.execute(
                update(Question)
                .where(Question.id == question_id)
                .values(updated_at=datetime.now(UTC))
            )
        record(conn, actor, action, "answer", answer_id)
    if status == "published":
        notify_asker(engine, kb.settings, question_id, links)
    return status


def flag(
    engine: Engine,
    target: str,
    target_id: str,
    reason: str,
    note: str = "",
    *,
    sender: str,
    account: Account | None = None,
) -> int:
    """Anyone's report on a published question (by external id) or answer (by number)."""
    if reason not in FLAG_REASONS:
        raise ModerationError(f"choose a reason: {', '.join(FLAG_REASONS)}")
    note = note.strip()[:NOTE_CHARS]
    if not target_id.strip() or "\x00" in target_id + note:
        raise ModerationError(f"say which {target} you report, in plain text")
    with engine.connect() as conn:
        row_id = _flag_target(conn, target, target_id)
    limits.take(engine, f"user:{account.id}" if account else sender, limits.FLAGS_PER_HOUR)
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(Flag)
                .values(
                    target=target, target_id=row_id, reason=reason, note=note,
                    user_id=account.id if account else None,
                )
                .returning(Flag.id)
            ).scalar_one()
        )  # fmt: skip


def _flag_target(conn: Connection, target: str, target_id: str) -> int:
    if target == "question":
        found = conn.scalar(
            select(Question.id).where(
                Question.external_id == target_id, Question.status == "published"
            )
        )
    elif target == "answer" and target_id.isdigit() and len(target_id) < 12:
        found = conn.scalar(
            select(Answer.id).where(Answer.id == int(target_id), Answer.status == "published")
        )
    else:
        raise ModerationError("report a question or an answer")
    if found is None:
        raise NotFound(f"there is no {target} {target_id}")
    return int(found)


def resolve_flag(engine: Engine, actor: Actor, flag_id: int, resolution: str) -> None:
    """Close a flag: "dismiss" it, or "hide" what it points at."""
    if resolution not in ("dismiss", "hide"):
        raise ModerationError("resolve a flag with dismiss or hide")
    with engine.begin() as conn:
        row = conn.execute(
            select(Flag.target, Flag.target_id).where(
                Flag.id == flag_id, Flag.resolved_at.is_(None)
            )
        ).first()
        if row is None:
            raise NotFound(f"there is no open flag {flag_id}")
        target, target_id = row
        if resolution == "hide":
            table = Question if target == "question" else Answer
            conn.execute(update(table).where(table.id == target_id).values(status="hidden"))
            if target == "answer":
                question_id = conn.scalar(select(Answer.question_id).where(Answer.id == target_id))
                conn.execute(
                    update(Question)
                    .where(Question.id == question_id)
                    .values(updated_at=datetime.now(UTC))
                )
        conn.execute(
            update(Flag)
            .where(Flag.target == target, Flag.target_id == target_id, Flag.resolved_at.is_(None))
            .values(resolved_at=datetime.now(UTC), resolution=resolution)
        )
        record(conn, actor, f"flag-{resolution}", target, target_id)
