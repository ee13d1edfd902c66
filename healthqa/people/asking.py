"""Questions people send when the knowledge base has no answer for them.

Asking needs no account. Each question gets a private link (an unguessable token, stored only
as a hash) to follow, edit or delete it and to read its answers; askers with an account also
find their questions on their account page. Before anything is stored the text passes the
checks of `healthqa.screening`: rate limits, a limit on links, near-duplicates (the existing
answer is offered instead), a spam score, and masking of personal data, so that a published
question never shows who asked.

A question's life: pending (a moderator looks first) -> open (experts can answer) ->
published (answered: public and searchable). A moderator may also reject or hide it.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from healthqa.errors import Conflict, NotFound, Refused
from healthqa.ingest.records import QuestionRecord, SourceRecord
from healthqa.ingest.write import shown_title, write_in
from healthqa.kb import KnowledgeBase
from healthqa.people import limits
from healthqa.people.accounts.sessions import token_hash
from healthqa.people.accounts.users import Account, AccountError, check_email
from healthqa.people.audit import ASKER, record
from healthqa.people.limits import DETAILS_CHARS, TITLE_CHARS
from healthqa.screening import SpamRules, TooManyLinks, mask_personal, screen
from healthqa.search.ask import Match
from healthqa.search.ask import ask as ask_index
from healthqa.search.index import SearchIndex
from healthqa.search.qtype import TypeClassifier
from healthqa.search.similarity import question_similarity
from healthqa.store.models import Answer, Question, Submission

# From this question_similarity on, a stored answered question asks the same thing
# (calibrated on the doctor-labelled MQP pairs: see docs/moderation.md).
DUPLICATE = 0.875  # MQP: precision 0.955, recall 0.431 of the similar pairs
CANDIDATE = 0.5  # below this ask score a match is not even compared (saves an embedding)
EDITABLE = ("pending", "open")  # once answered, a question is part of the knowledge base
SITE_SOURCE = SourceRecord(
    key="site",
    name="Asked on this site",
    attribution="Question sent by a visitor of this site and answered by its experts.",
)


class QuestionRefused(Refused):
    """The question cannot be taken as it is; `field` and the message say what to change."""


class AlreadyAnswered(Conflict):
    """Stored questions that ask the same thing, with answers: offer them before sending."""

    def __init__(self, matches: list[Match]) -> None:
        super().__init__("this looks answered already")
        self.matches = matches


class NoSuchQuestion(NotFound):
    """No question behind this private link (wrong, or deleted)."""


@dataclass(frozen=True)
class Sent:
    id: str
    token: str  # the private link's token: shown once, stored only as a hash
    status: str
    triage: dict[str, Any]
    masked: tuple[str, ...]  # kinds of personal data removed from the text
    held: bool  # the spam check wants a moderator to look closely


@dataclass
class Private:
    """What the asker sees on their private page."""

    id: str
    title: str
    body: str
    status: str
    locked: bool
    created: datetime
    email: str | None
    reason: str | None
    triage: dict[str, Any]
    answer_ids: list[int] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE and not self.locked


def submit(
    kb: KnowledgeBase,
    title: str,
    details: str = "",
    *,
    sender: str,
    account: Account | None = None,
    email: str | None = None,
    confirm_new: bool = False,
) -> Sent:
    """Take a question (see the module's docstring) into `kb`, screened with the site's spam
    rules and triaged for its country; `sender` keys the rate limits (a hash of the address,
    or the account). AlreadyAnswered unless `confirm_new`."""
    engine = kb.engine
    title, details, email = _clean(title, details, email)
    found = _screen(title, details, account, kb.spam_rules)
    if not confirm_new:
        _refuse_duplicates(kb.index, found["title"], found["details"])
    limits.take(engine, f"user:{account.id}" if account else sender, *QUESTION_LIMITS)
    level = kb.triage(f"{title}\n{details}")
    token = secrets.token_urlsafe(24)
    record_ = QuestionRecord(
        external_id=f"ask-{uuid.uuid4().hex[:16]}",
        title=found["title"],
        body=found["details"],
        source=SITE_SOURCE.key,
        where="ask form",
        status="pending",
        created=datetime.now(UTC),
    )
    with engine.begin() as conn:
        write_in(conn, "ask form", [record_], sources=[SITE_SOURCE], rules=kb.topic_rules)
        question_id = conn.scalar(
            select(Question.id).where(Question.external_id == record_.external_id)
        )
        conn.execute(
            insert(Submission).values(
                question_id=question_id,
                token_hash=token_hash(token),
                user_id=account.id if account else None,
                email=email,
                triage_level=level.level,
                spam_score=found["score"],
                checks={"reasons": found["reasons"], "masked": list(found["masked"])},
            )
        )
    held = found["score"] >= found["hold"]
    masked = tuple(found["masked"])
    return Sent(record_.external_id, token, "pending", level.to_dict(), masked, held)


QUESTION_LIMITS = (limits.QUESTIONS_PER_HOUR, limits.QUESTIONS_PER_DAY)


def _clean(title: str, details: str, email: str | None) -> tuple[str, str, str | None]:
    title, details = " ".join(title.split()), details.strip()
    if "\x00" in title + details + (email or ""):
        raise QuestionRefused("the text contains a NUL character", "title")
    if not title:
        raise QuestionRefused("type your question before sending it", "title")
    if len(title) > TITLE_CHARS:
        message = f"keep the question under {TITLE_CHARS} characters"
        raise QuestionRefused(message, "title", too_long=True)
    if len(details) > DETAILS_CHARS:
        message = f"keep the details under {DETAILS_CHARS:,} characters"
        raise QuestionRefused(message, "details", too_long=True)
    if email is not None and email.strip():
        try:
            return title, details, check_email(email)
        except AccountError as exc:
            raise QuestionRefused(str(exc), "email") from None
    return title, details, None


def _screen(title: str, details: str, account: Account | None, rules: SpamRules) -> dict[str, Any]:
    """Mask personal data in both fields and score the whole for spam."""
    names = [account.display_name] if account and account.display_name else []
    try:
        screening = screen(f"{title}\n{details}", "question", rules)
    except TooManyLinks as exc:
        raise QuestionRefused(str(exc), "details") from None
    masked_title, kinds_title = mask_personal(title, names)
    masked_details, kinds_details = mask_personal(details, names)
    return {
        "title": masked_title,
        "details": masked_details,
        "masked": sorted(set(kinds_title) | set(kinds_details)),
        "score": screening.spam_score,
        "hold": screening.hold,
        "reasons": [hit.reason for hit in screening.hits],
    }


def _refuse_duplicates(index: SearchIndex, title: str, details: str) -> None:
    """AlreadyAnswered when a stored, answered question asks what `title` asks."""
    if not index.docs:
        return
    found = ask_index(index, f"{title}\n{details}".strip(), k=5).matches
    matches = [m for m in found if m.answered and m.score >= CANDIDATE]
    if not matches:
        return
    texts = [title, *(m.title for m in matches)]
    vectors = dict(zip(texts, index.embedder.embed(texts), strict=True))  # one batch
    types = TypeClassifier.load()
    same = [
        m for m in matches
        if question_similarity(index, types, title, m.title, vectors) >= DUPLICATE
    ]  # fmt: skip
    if same:
        raise AlreadyAnswered(same[:3])


# ----- the private page -----


def find(engine: Engine, token: str) -> Submission:
    """The submission behind a private link; NoSuchQuestion otherwise."""
    if not token or len(token) > 100:
        raise NoSuchQuestion("no question has this link")
    with Session(engine) as session:
        found = session.scalar(select(Submission).where(Submission.token_hash == token_hash(token)))
    if found is None:
        raise NoSuchQuestion("no question has this link: it may have been deleted")
    return found


def find_own(engine: Engine, account: Account, external_id: str) -> Submission:
    """A submission of a signed-in asker, by the question's id."""
    with Session(engine) as session:
        found = session.scalar(
            select(Submission)
            .join(Question, Question.id == Submission.question_id)
            .where(Question.external_id == external_id, Submission.user_id == account.id)
        )
    if found is None:
        raise NoSuchQuestion(f"you have no question {external_id}")
    return found


def private_view(kb: KnowledgeBase, submission: Submission) -> Private:
    """The asker's page: the question, its answers, and its triage for the site's country."""
    with Session(kb.engine) as session:
        q = session.scalars(select(Question).where(Question.id == submission.question_id)).one()
        email, reason = session.execute(
            select(Submission.email, Submission.reason).where(
                Submission.question_id == submission.question_id
            )
        ).one()
        answer_ids = list(
            session.scalars(
                select(Answer.id)
                .where(Answer.question_id == q.id, Answer.status == "published")
                .order_by(Answer.position)
            )
        )
    return Private(
        q.external_id, q.title, q.body, q.status, q.locked, q.created_at, email, reason,
        kb.triage(f"{q.title}\n{q.body}").to_dict(), answer_ids,
    )  # fmt: skip


def edit(kb: KnowledgeBase, submission: Submission, title: str, details: str) -> None:
    """Change a question not yet answered; it goes back to a moderator, screened with the
    site's spam rules and triaged again."""
    view = private_view(kb, submission)
    if not view.editable:
        raise QuestionRefused("an answered or locked question cannot be changed", "question")
    title, details, _ = _clean(title, details, None)
    found = _screen(title, details, None, kb.spam_rules)
    level = kb.triage(f"{title}\n{details}").level
    with kb.engine.begin() as conn:
        conn.execute(
            update(Question)
            .where(Question.id == submission.question_id)
            .values(
                title=found["title"],
                display_title=shown_title(found["title"]),
                body=found["details"],
                status="pending",
                updated_at=datetime.now(UTC),
            )
        )
        conn.execute(
            update(Submission)
            .where(Submission.question_id == submission.question_id)
            .values(triage_level=level, spam_score=found["score"])
        )
        record(conn, ASKER, "edit", "question", view.id)


def set_email(engine: Engine, submission: Submission, email: str | None) -> None:
    """Where to send the notice when an answer arrives (None: no notice)."""
    _, _, clean = _clean("x", "", email)
    with engine.begin() as conn:
        conn.execute(
            update(Submission)
            .where(Submission.question_id == submission.question_id)
            .values(email=clean)
        )


def remove(engine: Engine, submission: Submission) -> str:
    """Delete the question, its answers and its private link for good."""
    with engine.begin() as conn:
        external_id = conn.scalar(
            select(Question.external_id).where(Question.id == submission.question_id)
        )
        conn.execute(delete(Answer).where(Answer.question_id == submission.question_id))
        conn.execute(delete(Submission).where(Submission.question_id == submission.question_id))
        conn.execute(delete(Question).where(Question.id == submission.question_id))
        record(conn, ASKER, "delete", "question", external_id)
    return str(external_id)


@dataclass(frozen=True)
class Mine:
    id: str
    title: str
    status: str
    created: datetime


def questions_of(engine: Engine, account: Account) -> list[Mine]:
    """A signed-in asker's questions, newest first."""
    query = (
        select(Question.external_id, Question.title, Question.status, Question.created_at)
        .join(Submission, Submission.question_id == Question.id)
        .where(Submission.user_id == account.id)
        .order_by(Question.id.desc())
    )
    with engine.connect() as conn:
        return [Mine(*row) for row in conn.execute(query)]
