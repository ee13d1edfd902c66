"""The moderators' pages: the queue (questions, held answers, flags) and its actions, expert
verification, and the audit log for admins. Every action goes to the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from healthqa.people import accounts, audit
from healthqa.people.moderating import (
    ModerationError,
    QuestionAction,
    act_on_answer,
    act_on_question,
    moderation_queue,
    resolve_flag,
)
from healthqa.web.auth import Admin, Form, Moderator, site_of
from healthqa.web.links import links_of
from healthqa.web.pages import PAGE_METHODS, page

router = APIRouter(include_in_schema=False)
# What the queue page's "any question" form offers: the actions that need no text.
ANY_QUESTION_ACTIONS: tuple[QuestionAction, ...] = ("lock", "unlock", "hide", "unhide")


def _back(anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/moderate{anchor}", status_code=303)


@router.api_route("/moderate", methods=PAGE_METHODS)
def queue_page(request: Request, who: Moderator) -> HTMLResponse:
    queue = moderation_queue(site_of(request).engine)
    return page(
        request, "moderate.html", queue=queue, any_question_actions=ANY_QUESTION_ACTIONS,
        noindex=True,
    )  # fmt: skip


@router.post("/moderate/questions/{external_id}")
def question_action(request: Request, external_id: str, who: Moderator, fields: Form) -> Response:
    act_on_question(
        site_of(request).engine, who.actor, external_id, fields.get("action", ""),
        reason=fields.get("reason", ""), title=fields.get("title"), body=fields.get("details"),
    )  # fmt: skip
    return _back("#questions")


@router.post("/moderate/question")
def any_question_action(request: Request, who: Moderator, fields: Form) -> Response:
    """Lock, unlock, hide or unhide any question by its id (e.g. a published one)."""
    action = fields.get("action", "")
    if action not in ANY_QUESTION_ACTIONS:
        raise ModerationError(f"choose {', '.join(ANY_QUESTION_ACTIONS)}")
    act_on_question(site_of(request).engine, who.actor, fields.get("id", "").strip(), action)
    return _back("#tools")


@router.post("/moderate/answers/{answer_id}")
def answer_action(request: Request, answer_id: int, who: Moderator, fields: Form) -> Response:
    site = site_of(request)
    act_on_answer(site, who.actor, answer_id, fields.get("action", ""), links_of(request))
    return _back("#answers")


@router.post("/moderate/flags/{flag_id}")
def flag_action(request: Request, flag_id: int, who: Moderator, fields: Form) -> Response:
    resolve_flag(site_of(request).engine, who.actor, flag_id, fields.get("resolution", ""))
    return _back("#flags")


@router.api_route("/moderate/experts", methods=PAGE_METHODS)
def experts_page(request: Request, who: Moderator) -> HTMLResponse:
    profiles = accounts.list_profiles(site_of(request).engine)
    return page(request, "moderate_experts.html", profiles=profiles, noindex=True)


@router.post("/moderate/experts/{user_id}")
def expert_action(request: Request, user_id: int, who: Moderator, fields: Form) -> Response:
    if fields.get("action") not in ("verify", "unverify"):
        raise ModerationError("choose verify or unverify")
    verified = fields.get("action") == "verify"
    accounts.verify(site_of(request).engine, who.actor, user_id, verified)
    return RedirectResponse("/moderate/experts", status_code=303)


@router.api_route("/admin/users", methods=PAGE_METHODS)
def users_page(request: Request, who: Admin, role: str | None = None) -> HTMLResponse:
    role = role if role in accounts.ROLES else None
    found = accounts.list_users(site_of(request).engine, role)
    return page(
        request, "admin_users.html", users=found, roles=accounts.ROLES, role=role, noindex=True
    )


@router.post("/admin/users/{user_id}")
def user_action(request: Request, user_id: int, who: Admin, fields: Form) -> Response:
    """Change a role, or disable or enable an account; an admin cannot lock themself out."""
    engine = site_of(request).engine
    assert who.account is not None
    action = fields.get("action", "")
    if user_id == who.account.id:
        raise ModerationError("change your own account from the command line")
    if action == "role":
        email = accounts.get_account(engine, user_id).email
        accounts.set_role(engine, email, fields.get("role", ""), who.actor)
    elif action in ("disable", "enable"):
        accounts.set_disabled(engine, user_id, action == "disable", who.actor)
    else:
        raise ModerationError("choose role, disable or enable")
    return RedirectResponse("/admin/users", status_code=303)


@router.api_route("/admin/audit", methods=PAGE_METHODS)
def audit_page(request: Request, who: Admin, page_number: int = 1) -> HTMLResponse:
    page_number = max(1, min(page_number, 10_000))
    entries = audit.read(site_of(request).engine, limit=100, offset=(page_number - 1) * 100)
    return page(request, "audit.html", entries=entries, page_number=page_number, noindex=True)
