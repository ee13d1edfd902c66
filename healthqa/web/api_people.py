"""The people's side of /api/v1: asking (with the private link's token), following a question,
reports, and for token holders their own questions, the experts' queue and answers, and the
moderation queue and actions.

Programs authenticate with `Authorization: Bearer <token>` (made on the account page); each
token carries scopes: read, ask, answer, moderate. Cookies are never read here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from healthqa.people import answering, asking
from healthqa.people.asking import AlreadyAnswered
from healthqa.screening import load_spam_rules
from healthqa.people.moderating import (
    FLAG_REASONS,
    PendingAnswer,
    PendingQuestion,
    act_on_question,
    flag,
    moderation_queue,
)
from healthqa.web import service
from healthqa.web.auth import Viewer, require, sender, site_of, viewer
from healthqa.web.errors import error_responses
from healthqa.web.pages import base_of
from healthqa.web.service import AnswerInfo

router = APIRouter(
    prefix="/api/v1",
    tags=["people"],
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 429),
)
Reader = Annotated[Viewer, Depends(require("account"))]
Answerer = Annotated[Viewer, Depends(require("answer"))]
Moderator = Annotated[Viewer, Depends(require("moderate"))]
Token = Annotated[str, Field(max_length=100)]


class NewQuestion(BaseModel):
    title: str = Field(max_length=300, description="The question, at most 300 characters.")
    details: str = Field("", max_length=5_000, description="More context, at most 5,000.")
    email: str | None = Field(None, max_length=320, description="For a notice when answered.")
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


class Following(BaseModel):
    id: str
    title: str
    body: str
    status: str
    locked: bool
    created: datetime
    reason: str | None
    triage: dict[str, Any]
    answers: list[AnswerInfo]


class QuestionEdit(BaseModel):
    title: str = Field(max_length=300)
    details: str = Field("", max_length=5_000)


class NewFlag(BaseModel):
    target: Literal["question", "answer"]
    id: str = Field(max_length=200, description="A question's id, or an answer's number.")
    reason: Literal["spam", "unsafe", "personal", "other"] = Field(
        description="; ".join(f"{k}: {v}" for k, v in FLAG_REASONS.items())
    )
    note: str = Field("", max_length=1_000)


class NewAnswer(BaseModel):
    body: str = Field(max_length=20_000, description="Markdown, at least 20 characters.")


class ModerationAction(BaseModel):
    action: Literal["approve", "reject", "hide", "unhide", "lock", "unlock", "edit"]
    reason: str = Field("", max_length=1_000, description="Required to reject.")
    title: str | None = Field(None, max_length=300)
    details: str | None = Field(None, max_length=5_000)


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
            asking.submit, site.engine, site.index, question.title, question.details,
            sender=sender(request), account=who.account, email=question.email,
            country=site.settings.country, confirm_new=question.confirm_new,
            rules=load_spam_rules(site.settings.spam_rules_file),
        )  # fmt: skip
    except AlreadyAnswered as exc:
        titles = "; ".join(f"{m.id}: {m.title}" for m in exc.matches)
        raise asking.QuestionRefused("title", f"answered already: {titles}", 409) from None
    url = f"{site.settings.site_url or base_of(request)}/private/{sent.token}"
    return Sent(
        id=sent.id, status=sent.status, private_token=sent.token, private_url=url,
        held=sent.held, masked=list(sent.masked), triage=sent.triage,
    )  # fmt: skip


@router.get("/private/{token}")
def follow(request: Request, token: str) -> Following:
    """A question sent on the site, read with its private token."""
    site = site_of(request)
    view = asking.private_view(site.engine, asking.find(site.engine, token), site.settings.country)
    answers = service.answers_for_asker(site, view.id) if view.answer_ids else []
    return Following(
        id=view.id, title=view.title, body=view.body, status=view.status, locked=view.locked,
        created=view.created, reason=view.reason, triage=view.triage, answers=answers,
    )  # fmt: skip


@router.put("/private/{token}")
def change(request: Request, token: str, edit: QuestionEdit) -> Done:
    """Change a question not answered yet; it goes back to a moderator."""
    engine = site_of(request).engine
    submission = asking.find(engine, token)
    asking.edit(engine, submission, edit.title, edit.details)
    return Done(id=asking.private_view(engine, submission).id, status="pending")


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
def me(who: Reader) -> Me:
    """The token's account (scope read)."""
    assert who.account is not None
    scopes = sorted(who.scopes or [])
    return Me(email=who.account.email, role=who.account.role, verified=who.verified, scopes=scopes)


@router.get("/me/questions")
def my_questions(request: Request, who: Reader) -> list[asking.Mine]:
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
    base = site.settings.site_url or base_of(request)
    answer_id, status = answering.answer(
        site.engine, who.account, question_id, answer.body, site.settings, base
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
