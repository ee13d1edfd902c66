"""Errors as people and programs see them: a helpful page, or JSON under /api/ — always a 4xx
with a message for bad input, never a 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from healthqa.errors import Conflict, NotAllowed, NotFound, Refused
from healthqa.people.limits import RateLimited
from healthqa.web.auth import BadForm, Forbidden, NeedSignIn, sign_in_url
from healthqa.web.i18n import N_, gettext, language_of
from healthqa.web.render import render
from healthqa.web.text import sentence

log = logging.getLogger("healthqa.web")
HEADINGS = {
    400: N_("Something in that address is not right"),
    401: N_("Please sign in"),
    403: N_("That is not open to you"),
    409: N_("That looks answered already"),
    415: N_("That does not work here"),
    429: N_("Please wait a little"),
    404: N_("We could not find that page"),
    405: N_("That does not work here"),
    413: N_("That is too long"),
    500: N_("Something went wrong on our side"),
    503: N_("Please wait a little"),  # the server is busy (middleware.Shed)
}


def respond(
    request: Request,
    status: int,
    message: str,
    parameter: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if request.url.path.startswith("/api/"):
        error: dict[str, object] = {"status": status, "message": message}
        if parameter:
            error["parameter"] = parameter
        return JSONResponse({"error": error}, status_code=status, headers=headers)
    heading = HEADINGS.get(status, HEADINGS[400] if status < 500 else HEADINGS[500])
    language = language_of(request)
    html = render(
        "error.html",
        language,
        status=status,
        heading=gettext(language, heading),
        message=gettext(language, message),  # the fixed messages are in the catalogs
        base=str(request.base_url).rstrip("/"),
        here=request.url.path if status < 500 else "/",  # the switch does not go back to a failure
        canonical=None,
        noindex=True,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


# The library's failures and the web's own, each with its status: the first that matches wins.
STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (NotAllowed, 403),
    (Forbidden, 403),
    (Conflict, 409),
    (RateLimited, 429),
    (Refused, 400),  # or 413 when over a length limit
)


def status_of(exc: Exception) -> int:
    """The HTTP status for a failure a visitor caused (400 for one this table does not know)."""
    if isinstance(exc, BadForm):
        return exc.status
    if isinstance(exc, Refused) and exc.too_long:
        return 413
    return next((status for kind, status in STATUSES if isinstance(exc, kind)), 400)


def install(app: FastAPI) -> None:
    """Map each failure a visitor can cause to its status and message."""

    async def failure(request: Request, exc: Exception) -> Response:
        """A failure the visitor caused: its status, its message, and the field to change."""
        field = exc.field if isinstance(exc, Refused) else None
        return respond(request, status_of(exc), sentence(str(exc)), field)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [(str(e["loc"][-1]), e["msg"]) for e in exc.errors()]
        message = "; ".join(f"parameter '{name}': {_lower_first(msg)}" for name, msg in problems)
        status = 422 if request.url.path.startswith("/api/") else 400
        return respond(request, status, sentence(message), problems[0][0] if problems else None)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            nothing = gettext(language_of(request), N_("There is nothing at %(path)s."))
            return respond(request, 404, nothing % {"path": request.url.path})
        return respond(request, exc.status_code, sentence(str(exc.detail)))

    async def server_error(request: Request, exc: Exception) -> Response:
        # The visitor sees a plain sentence; the operator needs the cause, so it goes to the log.
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return respond(request, 500, N_("Please try again in a moment."))

    async def need_sign_in(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            message = "Send an API token with the right scope: Authorization: Bearer <token>."
            return respond(request, 401, message, headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse(sign_in_url(request), status_code=303)

    async def rate_limited(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RateLimited)
        headers = {"Retry-After": str(exc.retry_after)}
        return respond(request, 429, sentence(str(exc)), headers=headers)

    for kind, _ in STATUSES:
        app.add_exception_handler(kind, failure)
    app.add_exception_handler(BadForm, failure)
    app.add_exception_handler(NeedSignIn, need_sign_in)
    app.add_exception_handler(RateLimited, rate_limited)  # the same, with Retry-After
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, server_error)


class ErrorDetail(BaseModel):
    status: int
    message: str
    parameter: str | None = None


class ErrorBody(BaseModel):
    """Every error of /api/v1: a status and a message saying what to change."""

    error: ErrorDetail


MEANINGS = {
    400: "The request cannot be used; the message says why.",
    401: "An API token is needed (Authorization: Bearer).",
    403: "This token or account may not do this.",
    404: "Not found.",
    409: "A stored question asks the same; send again with confirm_new to insist.",
    413: "Too long.",
    422: "A parameter or field is missing or malformed.",
    429: "Too many requests; Retry-After says when to try again.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route may answer."""
    return {code: {"model": ErrorBody, "description": MEANINGS[code]} for code in codes}


def _lower_first(message: str) -> str:
    """'Field required' -> 'field required', but 'JSON decode error' stays."""
    if len(message) > 1 and message[1].isupper():
        return message
    return message[:1].lower() + message[1:]
