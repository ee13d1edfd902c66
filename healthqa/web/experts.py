"""The experts' pages: their profile, the queue of open questions, answering in Markdown,
editing (with revisions) and endorsing answers. Every route checks the role on the server;
answering needs a profile a moderator verified."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from healthqa.errors import NotFound
from healthqa.people import accounts, answering
from healthqa.people.accounts import AccountError
from healthqa.people.accounts.experts import CREDENTIAL_CHARS, CREDENTIALS
from healthqa.people.answering import AnswerRefused
from healthqa.store.queries import QuestionNotFound, get_question
from healthqa.web import service
from healthqa.web.auth import Answerer, Expert, Form, Viewer, site_of
from healthqa.web.errors import status_of
from healthqa.web.links import links_of
from healthqa.web.pages import PAGE_METHODS, page
from healthqa.web.text import sentence

router = APIRouter(include_in_schema=False, prefix="/expert")


@router.api_route("/profile", methods=PAGE_METHODS)
def profile_page(request: Request, who: Expert, saved: bool = False) -> HTMLResponse:
    assert who.account is not None
    found = accounts.get_profile(site_of(request).engine, who.account.id)
    values = found.__dict__ if found else {}
    return _profile(request, who, values, None, saved)


@router.post("/profile")
def save_profile(request: Request, who: Expert, fields: Form) -> Response:
    assert who.account is not None
    try:
        credentials = {name: fields.get(name, "") for name in CREDENTIALS}
        accounts.save_profile(site_of(request).engine, who.account.id, **credentials)
    except AccountError as exc:
        return _profile(request, who, fields, sentence(exc), False, 400)
    return RedirectResponse("/expert/profile?saved=1", status_code=303)


def _profile(
    request: Request,
    who: Viewer,
    values: Mapping[str, object],
    error: str | None,
    saved: bool,
    status: int = 200,
) -> HTMLResponse:
    assert who.account is not None
    found = accounts.get_profile(site_of(request).engine, who.account.id)
    return page(
        request, "expert_profile.html", status, values=values, error=error, saved=saved,
        specialities=list(accounts.specialities()), verified=bool(found and found.verified),
        credential_chars=CREDENTIAL_CHARS, noindex=True,
    )  # fmt: skip


@router.api_route("/queue", methods=PAGE_METHODS)
def queue_page(
    request: Request,
    who: Answerer,
    topic: str | None = None,
    speciality: str | None = None,
    held: bool = False,
) -> HTMLResponse:
    assert who.account is not None
    site = site_of(request)
    profile = accounts.get_profile(site.engine, who.account.id)
    if speciality is None and profile is not None:
        speciality = profile.speciality
    if speciality and speciality not in accounts.specialities():
        speciality = None
    topics = service.topics(site)
    chosen = topic if topic in {t.slug for t in topics} else None
    items = answering.queue(site.engine, chosen, speciality or None)
    return page(
        request, "expert_queue.html", items=items, topics=topics, topic=chosen,
        speciality=speciality or "", specialities=list(accounts.specialities()), held=held,
        noindex=True,
    )  # fmt: skip


@router.api_route("/answer/{external_id}", methods=PAGE_METHODS)
def answer_page(request: Request, external_id: str, who: Answerer) -> HTMLResponse:
    return _answer_page(request, external_id, "", None)


def _answer_page(
    request: Request, external_id: str, body: str, error: str | None, status: int = 200
) -> HTMLResponse:
    site = site_of(request)
    try:
        q = get_question(site.engine, external_id)
    except QuestionNotFound:
        raise NotFound(f"there is no question {external_id}") from None
    if q.status not in answering.ANSWERABLE:
        raise NotFound(f"question {external_id} is not waiting for an answer")
    return page(
        request, "expert_answer.html", status, question=q,
        answers=service.answers_for_asker(site, external_id), body=body, error=error,
        noindex=True,
    )  # fmt: skip


@router.post("/answer/{external_id}")
def send_answer(request: Request, external_id: str, who: Answerer, fields: Form) -> Response:
    assert who.account is not None
    site = site_of(request)
    body = fields.get("body", "")
    try:
        answer_id, status = answering.answer(
            site, who.account, external_id, body, links_of(request)
        )
    except (AnswerRefused, NotFound) as exc:
        return _answer_page(request, external_id, body, sentence(exc), status_of(exc))
    if status == "pending":
        return RedirectResponse("/expert/queue?held=1", status_code=303)
    return RedirectResponse(f"/q/{external_id}#a{answer_id}", status_code=303)


@router.api_route("/answers/{answer_id}", methods=PAGE_METHODS)
def answer_tools(request: Request, answer_id: int, who: Answerer) -> HTMLResponse:
    return _tools(request, answer_id, who, None)


def _tools(
    request: Request, answer_id: int, who: Viewer, error: str | None, status: int = 200
) -> HTMLResponse:
    assert who.account is not None
    site = site_of(request)
    found = service.answer_by_id(site, answer_id)
    if found is None:
        raise NotFound(f"there is no answer {answer_id}")
    question, answer, author, source = found
    profile = accounts.get_profile(site.engine, who.account.id)
    return page(
        request, "expert_tools.html", status, question=question, answer=answer,
        mine=author == who.account.id, error=error, source=source,
        endorsed=profile is not None and profile.name in answer.endorsed_by,
        revisions=answering.revisions(site.engine, answer_id), noindex=True,
    )  # fmt: skip


@router.post("/answers/{answer_id}/edit")
def edit_answer(request: Request, answer_id: int, who: Answerer, fields: Form) -> Response:
    assert who.account is not None
    try:
        answering.edit_answer(
            site_of(request), who.account, answer_id, fields.get("body", ""), who.actor
        )
    except (AnswerRefused, NotFound) as exc:
        return _tools(request, answer_id, who, str(exc), status_of(exc))
    return RedirectResponse(f"/expert/answers/{answer_id}", status_code=303)


@router.post("/answers/{answer_id}/endorse")
def endorse(request: Request, answer_id: int, who: Answerer, fields: Form) -> Response:
    assert who.account is not None
    on = fields.get("endorse", "yes") == "yes"
    answering.endorse(site_of(request).engine, who.account, answer_id, on)
    return RedirectResponse(f"/expert/answers/{answer_id}", status_code=303)
