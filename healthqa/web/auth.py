"""Who is asking, and may they: sessions for browsers, tokens for programs, role checks on
the server for every page and API route, and CSRF protection for every form.

Pages read the session cookie; /api/v1 reads only `Authorization: Bearer <token>` and never
cookies, so no other site can make a visitor's browser act through the API. Forms carry a
token that must equal an HttpOnly cookie (double submit) and, when the browser sends one, an
Origin of this site."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from healthqa.people import limits
from healthqa.people.accounts import Account, is_verified, session_account, token_account
from healthqa.people.audit import Actor
from healthqa.web.site import Site

SESSION_COOKIE = "hqa_session"
CSRF_COOKIE = "hqa_csrf"
CSRF_FIELD = "csrf"
FORM_BYTES = 64_000  # the largest form: an expert's answer of 20,000 characters, encoded
# What each permission needs, and the API token scope that carries it.
PERMISSIONS = {
    "account": ("read", ("asker", "expert", "moderator", "admin")),
    "ask": ("ask", ("asker", "expert", "moderator", "admin")),
    "expert": ("read", ("expert",)),
    "answer": ("answer", ("expert",)),  # and a verified profile
    "moderate": ("moderate", ("moderator", "admin")),
    "admin": ("moderate", ("admin",)),
}


class NeedSignIn(Exception):
    """The page or route needs an account (pages: redirect to sign in; API: 401)."""


class Forbidden(Exception):
    """Signed in, but this account (or token) may not do this (403)."""


class BadForm(Exception):
    """A form without a valid CSRF token or from another site, or too large (403 or 413)."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Viewer:
    account: Account | None
    verified: bool = False  # an expert whose profile a moderator verified
    scopes: frozenset[str] | None = None  # an API token's scopes; None for a browser session

    @property
    def actor(self) -> Actor:
        return self.account.actor if self.account else Actor(None, "visitor")

    def can(self, permission: str) -> bool:
        scope, roles = PERMISSIONS[permission]
        if self.account is None or self.account.role not in roles:
            return False
        if self.scopes is not None and scope not in self.scopes:
            return False
        return self.verified or permission != "answer"


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def viewer(request: Request) -> Viewer:
    """The account behind this request (looked up once per request)."""
    found: Viewer | None = getattr(request.state, "viewer", None)
    if found is None:
        found = await run_in_threadpool(_find_viewer, request)
        request.state.viewer = found
    return found


def _find_viewer(request: Request) -> Viewer:
    engine = site_of(request).engine
    scopes: frozenset[str] | None = None
    if is_api(request):
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        found = token_account(engine, token.strip()) if kind.lower() == "bearer" else None
        account, scopes = (found[0], frozenset(found[1])) if found else (None, None)
    else:
        account = session_account(engine, request.cookies.get(SESSION_COOKIE, ""))
    if account is None:
        return Viewer(None)
    return Viewer(account, is_verified(engine, account), scopes)


def require(permission: str) -> Any:
    """A dependency: the viewer when they have `permission`, else NeedSignIn or Forbidden."""

    async def check(request: Request) -> Viewer:
        who = await viewer(request)
        if who.account is None:
            raise NeedSignIn(permission)
        if not who.can(permission):
            raise Forbidden(_refusal(permission, who))
        return who

    check.permission = permission  # type: ignore[attr-defined]  # read by the role matrix test
    return check


def _refusal(permission: str, who: Viewer) -> str:
    if permission == "answer" and who.account and who.account.role == "expert":
        return "only experts whose profile a moderator has verified may answer"
    if who.scopes is not None:
        return f"this token's scopes ({', '.join(sorted(who.scopes))}) do not allow this"
    return "your account may not open this page"


def sign_in_url(request: Request) -> str:
    return "/signin?next=" + quote(request.url.path, safe="/")


def sender(request: Request) -> str:
    """A keyed hash of the visitor's network address, for rate limits."""
    return limits.address_key(site_of(request).engine, client_address(request))


def client_address(request: Request) -> str:
    """The visitor's address: the connection's, or behind a trusted proxy the nearest address
    in X-Forwarded-For that is not one of the site's own proxies (a visitor can put anything
    at the far end of that header, so it is read from the near end)."""
    address = request.client.host if request.client else "unknown"
    trusted = set(site_of(request).settings.trusted_proxies)
    if address not in trusted:
        return address
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([a for a in forwarded if a]):
        if hop not in trusted:
            return hop
    return address


# ----- cookies -----


def secure(request: Request) -> bool:
    """Secure cookies, except over plain http on this machine (a development server)."""
    configured = site_of(request).settings.secure_cookies
    if configured is not None:
        return configured
    if request.url.scheme == "https":
        return True
    host = request.url.hostname or ""
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def set_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=30 * 24 * 3600, httponly=True, samesite="lax",
        secure=secure(request), path="/",
    )  # fmt: skip


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=secure(request), path="/"
    )


def csrf_token(request: Request) -> str:
    """The visitor's CSRF token (made on first use; `page()` sets the cookie)."""
    token: str | None = getattr(request.state, "csrf", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or ""
        if len(token) != 43:
            token = secrets.token_urlsafe(32)
            request.state.new_csrf = True
        request.state.csrf = token
    return token


def set_csrf(request: Request, response: Response) -> None:
    if getattr(request.state, "new_csrf", False):
        response.set_cookie(
            CSRF_COOKIE, csrf_token(request), httponly=True, samesite="lax",
            secure=secure(request), path="/",
        )  # fmt: skip


def _own_origins(request: Request) -> set[str]:
    """This site's origin as the request sees it, and as configured (behind a proxy that ends
    TLS the two differ: https outside, http inside)."""
    own = {str(request.base_url).rstrip("/")}
    configured = site_of(request).settings.site_url
    if configured:
        parts = urlsplit(configured)
        own.add(f"{parts.scheme}://{parts.netloc}")
    return own


async def form(request: Request) -> dict[str, str]:
    """A dependency: the posted urlencoded form, after the CSRF and origin checks."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise BadForm("send this form from the page (urlencoded form data)", 415)
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") not in _own_origins(request):
        raise BadForm("this form was sent from another site")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_BYTES:
            raise BadForm("the form is too long to send", 413)
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if any("\x00" in value for values in fields.values() for value in values):
        raise BadForm("the form contains a NUL character, which no field accepts", 400)
    values = {name: items[0] for name, items in fields.items()}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = values.pop(CSRF_FIELD, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise BadForm("this form has expired: go back, reload the page and send it again")
    request.state.form_lists = fields
    return values


# What routes declare: the posted form (CSRF checked), and a visitor allowed to do something.
Form = Annotated[dict[str, str], Depends(form)]
SignedIn = Annotated[Viewer, Depends(require("account"))]
Expert = Annotated[Viewer, Depends(require("expert"))]
Answerer = Annotated[Viewer, Depends(require("answer"))]
Moderator = Annotated[Viewer, Depends(require("moderate"))]
Admin = Annotated[Viewer, Depends(require("admin"))]
