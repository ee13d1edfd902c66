"""The website. For now: a paginated list of questions and a page per question."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from healthqa.store import QuestionNotFound, get_question, list_questions, stats

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
PAGE_SIZE = 50


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="healthqa", docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, page: int = Query(1, ge=1, le=10_000)) -> HTMLResponse:
        questions = list_questions(engine, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        total = stats(engine).questions
        context = {"questions": questions, "page": page, "more": page * PAGE_SIZE < total}
        return TEMPLATES.TemplateResponse(request, "index.html", context)

    @app.get("/q/{external_id}", response_class=HTMLResponse)
    def question(request: Request, external_id: str) -> HTMLResponse:
        try:
            found = get_question(engine, external_id)
        except QuestionNotFound:
            raise HTTPException(404, "No question with this id") from None
        return TEMPLATES.TemplateResponse(request, "question.html", {"q": found})

    return app
