"""The people's side of /api/v1: asking (with the private link's token), following a question,
reports, and for token holders their own questions, the experts' queue and answers, and the
moderation queue and actions.

Programs authenticate with `Authorization: Bearer <token>` (made on the account page); each
token carries scopes: read, ask, answer, moderate. Cookies are never read here."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal, get_type_hints

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, create_model

from healthqa.errors import Conflict
from healthqa.ingest.records import LIMITS as RECORD_LIMITS
from healthqa.people import answering, asking
from healthqa.people.asking import AlreadyAnswered
from healthqa.people.limits import (
    ANSWER_CHARS,
    DETAILS_CHARS,
    EMAIL_CHARS,
    MIN_ANSWER_CHARS,
    NOTE_CHARS,
    TITLE_CHARS,
)
from healthqa.people.moderating import (
    FLAG_REASONS,
    FlagReason,
    PendingAnswer,
    PendingQuestion,
    QuestionAction,
    act_on_question,
    flag,
    moderation_queue,
)
from healthqa.web import service
from healthqa.web.auth import (
    Answerer,
    Moderator,
    SignedIn,
    Viewer,
    sender,
    site_of,
    viewer,
)
from healthqa.web.errors import error_responses
from healthqa.web.links import links_of
from healthqa.web.service import AnswerInfo

router = APIRouter(
    prefix="/api/v1",
    tags=["people"],
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 429),
)
Token = Annotated[str, Field(max_length=100)]


class NewQuestion(BaseModel):
    title: str = Field(
        max_length=TITLE_CHARS, description=f"The question, at most {TITLE_CHARS} characters."
    )
    details: str = Field(
        "", max_length=DETAILS_CHARS, description=f"More context, at most {DETAILS_CHARS:,}."
    )
    email: str | None = Field(
        None, max_length=EMAIL_CHARS, description="For a notice when answered."
    )
    confirm_new: bool = Field(
        False, description="Send even when a stored question asks the same (409 otherwise)."
    )


class Sent(BaseModel):
    id: str
    status: str
    private_token: str = Field(description="The private link's key: shown once, keep it.")
    private_url: str
    held: bool
    masked: list[str] = Field(description="Kinds of personal data removed from the text.")
    triage: dict[str, Any]


# The asker's private page as the API shows it: the fields of `asking.Private`, less the address
# for the answer notice (never sent back) and with the answers themselves in place of their ids.
NOT_SHOWN = ("email", "answer_ids")
SHOWN: dict[str, Any] = {
    name: (kind, ...)  # ...: required, as in the dataclass
    for name, kind in get_type_hints(asking.Private).items()
    if name not in NOT_SHOWN
}
Following: type[BaseModel] = create_model("Following", **SHOWN, answers=(list[AnswerInfo], ...))


class QuestionEdit(BaseModel):
    title: str = Field(max_length=TITLE_CHARS)
    details: str = Field("", max_length=DETAILS_CHARS)


class NewFlag(BaseModel):
    target: Literal["question", "answer"]
    id: str = Field(
        max_length=RECORD_LIMITS["id"], description="A question's id, or an answer's number."
    )
    reason: FlagReason = Field(description="; ".join(f"{k}: {v}" for k, v in FLAG_REASONS.items()))
    note: str = Field("", max_length=NOTE_CHARS)


class NewAnswer(BaseModel):
    body: str = Field(
        max_length=ANSWER_CHARS, description=f"Markdown, at least {MIN_ANSWER_CHARS} characters."
    )


class ModerationAction(BaseModel):
    action: QuestionAction
    reason: str = Field("", max_length=NOTE_CHARS, description="Required to reject.")
    title: str | None = Field(None, max_length=TITLE_CHARS)
    details: str | None = Field(None, max_length=DETAILS_CHARS)


class Me(BaseModel):
    email: str
    role: str
    verified: bool
    scopes: list[str]


class Done(BaseModel):
    id: str
    status: str


class ModerationQueue(BaseModel):
    questions: list[PendingQuestion]
    answers: list[PendingAnswer]


@router.post("/questions", status_code=201)
async def submit(request: Request, question: NewQuestion) -> Sent:
    """Send a question to the experts, with or without a token (scope ask). It stays private
    until a moderator approved it and an expert answered. 409 when stored questions ask the
    same: they are in the message; send again with `confirm_new` to insist."""
    who = await viewer(request)
    if who.account is not None and not who.can("ask"):
        who = Viewer(None)  # a token without the ask scope asks like anyone
    site = site_of(request)
    try:
        sent = await run_in_threadpool(
            asking.submit, site, question.title, question.details,
            sender=sender(request), account=who.account, email=question.email,
            confirm_new=question.confirm_new,
        )  # fmt: skip
    except AlreadyAnswered as exc:
        titles = "; ".join(f"{m.id}: {m.title}" for m in exc.matches)
        raise Conflict(f"title: answered already: {titles}") from None
    url = links_of(request).private(sent.token)
    return Sent(
        id=sent.id, status=sent.status, private_token=sent.token, private_url=url,
        held=sent.held, masked=list(sent.masked), triage=sent.triage,
    )  # fmt: skip


@router.get("/private/{token}", response_model=Following)
def follow(request: Request, token: str) -> BaseModel:
    """A question sent on the site, read with its private token."""
    site = site_of(request)
    view = asking.private_view(site, asking.find(site.engine, token))
    answers = service.answers_for_asker(site, view.id) if view.answer_ids else []
    shown = {name: value for name, value in asdict(view).items() if name not in NOT_SHOWN}
    return Following(**shown, answers=answers)


@router.put("/private/{token}")
def change(request: Request, token: str, edit: QuestionEdit) -> Done:
    """Change a question not answered yet; it goes back to a moderator."""
    site = site_of(request)
    submission = asking.find(site.engine, token)
    asking.edit(site, submission, edit.title, edit.details)
    return Done(id=asking.private_view(site, submission).id, status="pending")


@router.delete("/private/{token}")
def delete(request: Request, token: str) -> Done:
    """Delete a question and its answers for good."""
    engine = site_of(request).engine
    return Done(id=asking.remove(engine, asking.find(engine, token)), status="deleted")


@router.post("/flags", status_code=201)
async def report(request: Request, report: NewFlag) -> Done:
    """Report a published question or answer to the moderators."""
    who = await viewer(request)
    flag_id = await run_in_threadpool(
        flag, site_of(request).engine, report.target, report.id, report.reason, report.note,
        sender=sender(request), account=who.account,
    )  # fmt: skip
    return Done(id=str(flag_id), status="open")


@router.get("/me")
def me(who: SignedIn) -> Me:
    """The token's account (scope read)."""
    assert who.account is not None
    scopes = sorted(who.scopes or [])
    return Me(email=who.account.email, role=who.account.role, verified=who.verified, scopes=scopes)


@router.get("/me/questions")
def my_questions(request: Request, who: SignedIn) -> list[asking.Mine]:
    """The questions this account sent (scope read)."""
    assert who.account is not None
    return asking.questions_of(site_of(request).engine, who.account)


@router.get("/queue")
def expert_queue(
    request: Request,
    who: Answerer,
    topic: Annotated[str | None, Query(max_length=80)] = None,
) -> list[answering.QueueItem]:
    """Open questions waiting for an expert, emergencies first (scope answer)."""
    return answering.queue(site_of(request).engine, topic or None)


@router.post("/questions/{question_id}/answers", status_code=201)
def add_answer(request: Request, question_id: str, answer: NewAnswer, who: Answerer) -> Done:
    """Answer a question as a verified expert (scope answer); `status` is pending when the
    spam check holds it for a moderator."""
    assert who.account is not None
    site = site_of(request)
    answer_id, status = answering.answer(
        site, who.account, question_id, answer.body, links_of(request)
    )
    return Done(id=str(answer_id), status=status)


@router.get("/moderation/queue")
def pending(request: Request, who: Moderator) -> ModerationQueue:
    """Questions and answers waiting for a moderator (scope moderate)."""
    queue = moderation_queue(site_of(request).engine)
    return ModerationQueue(questions=queue.questions, answers=queue.answers)


@router.post("/moderation/questions/{question_id}")
def moderate(request: Request, question_id: str, action: ModerationAction, who: Moderator) -> Done:
    """Approve, reject (with a reason), hide, unhide, lock, unlock or edit (scope moderate)."""
    status = act_on_question(
        site_of(request).engine, who.actor, question_id, action.action, reason=action.reason,
        title=action.title, body=action.details,
    )  # fmt: skip
    return Done(id=question_id, status=status)
