"""The people's pages: signing up, in and out, password reset, the account page with API
tokens, the private page of a question sent without an account, and reporting content."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from healthqa.people import accounts, asking
from healthqa.people.accounts import AccountError, SignInFailed
from healthqa.people.limits import EMAIL_CHARS, RateLimited
from healthqa.people.moderating import flag
from healthqa.store.models import Submission
from healthqa.web import service
from healthqa.web.auth import (
    SESSION_COOKIE,
    Form,
    SignedIn,
    Viewer,
    clear_session,
    client_address,
    sender,
    set_session,
    site_of,
    viewer,
)
from healthqa.web.links import links_of
from healthqa.web.pages import PAGE_METHODS, page
from healthqa.web.text import sentence

router = APIRouter(include_in_schema=False)


SAFE_NEXT = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&#-]*")


def _next(target: str | None) -> str:
    """Only a path on this site, never another site (open redirects: "//x", "/\\x", and
    tabs or newlines, which browsers drop, are refused)."""
    return target if target and SAFE_NEXT.fullmatch(target) else "/account"


def _done(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


# ----- signing in and out -----


@router.api_route("/signin", methods=PAGE_METHODS)
async def sign_in_page(request: Request, next: str = "/account") -> HTMLResponse:
    await viewer(request)
    return page(request, "signin.html", next=_next(next), error=None, email="", noindex=True)


@router.post("/signin")
async def sign_in(request: Request, fields: Form) -> Response:
    email, target = fields.get("email", ""), _next(fields.get("next"))
    engine = site_of(request).engine
    address = client_address(request)
    try:
        _, token = await run_in_threadpool(
            accounts.sign_in, engine, email, fields.get("password", ""), address
        )
    except (SignInFailed, RateLimited) as exc:
        status = 429 if isinstance(exc, RateLimited) else 400
        error = sentence(exc)
        return page(
            request, "signin.html", status, next=target, error=error, email=email[:EMAIL_CHARS]
        )
    response = _done(target)
    set_session(request, response, token)
    return response


@router.post("/signout")
async def sign_out(request: Request, fields: Form) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(accounts.end_session, site_of(request).engine, token)
    response = _done("/")
    clear_session(request, response)
    return response


@router.post("/signout/everywhere")
async def sign_out_everywhere(request: Request, who: SignedIn, fields: Form) -> Response:
    assert who.account is not None
    await run_in_threadpool(accounts.end_all_sessions, site_of(request).engine, who.account.id)
    response = _done("/signin?next=/account")
    clear_session(request, response)
    return response


# ----- signing up, resetting a password -----


@router.api_route("/signup", methods=PAGE_METHODS)
def sign_up_page(request: Request) -> HTMLResponse:
    return page(request, "email_form.html", purpose="sign-up", sent=None, error=None, noindex=True)


@router.api_route("/reset", methods=PAGE_METHODS)
def reset_page(request: Request) -> HTMLResponse:
    return page(request, "email_form.html", purpose="reset", sent=None, error=None, noindex=True)


@router.post("/signup")
async def sign_up(request: Request, fields: Form) -> HTMLResponse:
    return await _send_link(request, "sign-up", fields.get("email", ""))


@router.post("/reset")
async def reset(request: Request, fields: Form) -> HTMLResponse:
    return await _send_link(request, "reset", fields.get("email", ""))


async def _send_link(request: Request, purpose: str, email: str) -> HTMLResponse:
    """The same answer whether or not the email has an account."""
    site = site_of(request)
    send = accounts.request_sign_up if purpose == "sign-up" else accounts.request_password_reset
    try:
        await run_in_threadpool(send, site.engine, site.settings, email, links_of(request))
    except (AccountError, RateLimited) as exc:
        status = 429 if isinstance(exc, RateLimited) else 400
        return page(
            request, "email_form.html", status, purpose=purpose, sent=None,
            error=sentence(exc), noindex=True,
        )  # fmt: skip
    return page(request, "email_form.html", purpose=purpose, sent=email, error=None, noindex=True)


@router.api_route("/signup/{token}", methods=PAGE_METHODS)
@router.api_route("/reset/{token}", methods=PAGE_METHODS)
def password_page(request: Request, token: str) -> HTMLResponse:
    purpose = "sign-up" if request.url.path.startswith("/signup/") else "reset"
    email = accounts.check_link(site_of(request).engine, purpose, token)
    return page(request, "password.html", purpose=purpose, email=email, error=None, noindex=True)


@router.post("/signup/{token}")
@router.post("/reset/{token}")
async def choose_password(request: Request, token: str, fields: Form) -> Response:
    site = site_of(request)
    purpose = "sign-up" if request.url.path.startswith("/signup/") else "reset"
    email = await run_in_threadpool(accounts.check_link, site.engine, purpose, token)
    password = fields.get("password", "")
    try:
        if password != fields.get("password2", ""):
            raise AccountError("the two passwords differ")
        if purpose == "sign-up":
            name = fields.get("name", "")
            account = await run_in_threadpool(
                accounts.finish_sign_up, site.engine, token, password, name
            )
        else:
            account = await run_in_threadpool(accounts.reset_password, site.engine, token, password)
    except AccountError as exc:
        error = sentence(exc)
        return page(request, "password.html", 400, purpose=purpose, email=email, error=error)
    session = await run_in_threadpool(accounts.start_session, site.engine, account.id)
    response = _done("/account")
    set_session(request, response, session)
    return response


# ----- the account page -----


@router.api_route("/account", methods=PAGE_METHODS)
def account_page(request: Request, who: SignedIn) -> HTMLResponse:
    return _account(request, who, None)


@router.post("/account/tokens")
def create_token(request: Request, who: SignedIn, fields: Form) -> HTMLResponse:
    """Make an API token and show it once, on the account page."""
    assert who.account is not None
    scopes = request.state.form_lists.get("scope", [])
    made = accounts.create_api_token(
        site_of(request).engine, who.account, fields.get("name", ""), scopes
    )
    return _account(request, who, made)


def _account(
    request: Request, who: Viewer, created: tuple[accounts.TokenInfo, str] | None
) -> HTMLResponse:
    assert who.account is not None
    engine = site_of(request).engine
    return page(
        request, "account.html", who=who, noindex=True, created=created,
        questions=asking.questions_of(engine, who.account),
        tokens=accounts.list_api_tokens(engine, who.account.id),
        scopes=accounts.tokens.ROLE_SCOPES[who.account.role],
        profile=accounts.get_profile(engine, who.account.id),
    )  # fmt: skip


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, who: SignedIn, fields: Form) -> Response:
    assert who.account is not None
    accounts.revoke_api_token(site_of(request).engine, who.account.id, token_id)
    return _done("/account#tokens")


@router.api_route("/account/questions/{external_id}", methods=PAGE_METHODS)
def own_question(request: Request, external_id: str, who: SignedIn) -> HTMLResponse:
    assert who.account is not None
    submission = asking.find_own(site_of(request).engine, who.account, external_id)
    return _private_page(request, submission, None)


# ----- the private page of a question -----


@router.api_route("/private/{token}", methods=PAGE_METHODS)
def private_page(request: Request, token: str) -> HTMLResponse:
    submission = asking.find(site_of(request).engine, token)
    return _private_page(request, submission, token)


def _private_page(request: Request, submission: Submission, token: str | None) -> HTMLResponse:
    site = site_of(request)
    view = asking.private_view(site, submission)
    answers = service.answers_for_asker(site, view.id) if view.answer_ids else []
    response = page(
        request, "private.html", view=view, answers=answers, token=token, noindex=True,
        sent=request.query_params.get("sent") == "1",
        masked=request.query_params.get("masked", "").split(",") if token else [],
    )  # fmt: skip
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the key: never leak it
    return response


@router.post("/private/{token}/edit")
def private_edit(request: Request, token: str, fields: Form) -> Response:
    site = site_of(request)
    submission = asking.find(site.engine, token)
    asking.edit(site, submission, fields.get("title", ""), fields.get("details", ""))
    return _done(f"/private/{token}")


@router.post("/private/{token}/email")
def private_email(request: Request, token: str, fields: Form) -> Response:
    engine = site_of(request).engine
    asking.set_email(engine, asking.find(engine, token), fields.get("email") or None)
    return _done(f"/private/{token}")


@router.post("/private/{token}/delete")
def private_delete(request: Request, token: str, fields: Form) -> HTMLResponse:
    engine = site_of(request).engine
    asking.remove(engine, asking.find(engine, token))
    return page(request, "deleted.html", noindex=True)


# ----- reports -----


@router.api_route("/flag/{target}/{target_id}", methods=PAGE_METHODS)
def flag_page(request: Request, target: str, target_id: str) -> HTMLResponse:
    return page(request, "flag.html", target=target, target_id=target_id, done=False, noindex=True)


@router.post("/flag/{target}/{target_id}")
async def flag_send(request: Request, target: str, target_id: str, fields: Form) -> HTMLResponse:
    who = await viewer(request)
    await run_in_threadpool(
        flag, site_of(request).engine, target, target_id, fields.get("reason", ""),
        fields.get("note", ""), sender=sender(request), account=who.account,
    )  # fmt: skip
    return page(request, "flag.html", target=target, target_id=target_id, done=True, noindex=True)
