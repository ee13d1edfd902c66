"""Errors as people and programs see them: a helpful page, or JSON under /api/ — always a 4xx
with a message for bad input, never a 500."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from healthqa.search.ask import AskError
from healthqa.web.render import render
from healthqa.web.service import BadParameter, NotFound

HEADINGS = {
    400: "Something in that address is not right",
    404: "We could not find that page",
    405: "That does not work here",
    413: "That is too long",
    500: "Something went wrong on our side",
}


def respond(request: Request, status: int, message: str, parameter: str | None = None) -> Response:
    if request.url.path.startswith("/api/"):
        error: dict[str, object] = {"status": status, "message": message}
        if parameter:
            error["parameter"] = parameter
        return JSONResponse({"error": error}, status_code=status)
    heading = HEADINGS.get(status, HEADINGS[400] if status < 500 else HEADINGS[500])
    html = render(
        "error.html",
        status=status,
        heading=heading,
        message=message,
        base=str(request.base_url).rstrip("/"),
        canonical=None,
        noindex=True,
    )
    return HTMLResponse(html, status_code=status)


def install(app: FastAPI) -> None:
    """Map each failure a visitor can cause to its status and message."""

    async def not_found(request: Request, exc: Exception) -> Response:
        return respond(request, 404, _sentence(str(exc)))

    async def bad_parameter(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadParameter)
        return respond(request, exc.status, _sentence(str(exc)), exc.parameter)

    async def bad_question(request: Request, exc: Exception) -> Response:
        return respond(request, 400, _sentence(str(exc)))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [(str(e["loc"][-1]), e["msg"]) for e in exc.errors()]
        message = "; ".join(
            f"parameter '{name}': {msg[:1].lower()}{msg[1:]}" for name, msg in problems
        )
        status = 422 if request.url.path.startswith("/api/") else 400
        return respond(request, status, _sentence(message), problems[0][0] if problems else None)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return respond(request, 404, f"There is nothing at {request.url.path}.")
        return respond(request, exc.status_code, _sentence(str(exc.detail)))

    async def server_error(request: Request, exc: Exception) -> Response:
        return respond(request, 500, "Please try again in a moment.")

    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(BadParameter, bad_parameter)
    app.add_exception_handler(AskError, bad_question)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, server_error)


def _sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
