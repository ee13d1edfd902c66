"""The JSON API under /api/v1: the same service results the pages render, as JSON.

Lists are paginated (`page`, `per_page` at most 100); a parameter out of range or naming an
unknown topic, source or type gets a 4xx with a message naming it, never a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from healthqa.search.ask import MAX_K
from healthqa.web import service
from healthqa.web.auth import site_of
from healthqa.web.errors import error_responses
from healthqa.web.service import (
    AnswerInfo,
    Article,
    Asked,
    Home,
    QuestionList,
    RelatedLink,
    SearchResult,
    TopicInfo,
    TopicPage,
)

router = APIRouter(prefix="/api/v1", tags=["api"], responses=error_responses(400, 404, 413, 422))
PageNumber = Annotated[int, Query(ge=1, le=100_000, description="Page, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=100, description="Items per page.")]
Topic = Annotated[str | None, Query(description="Only this topic (a slug from /topics).")]


@router.get("/ask")
def ask(
    request: Request,
    q: Annotated[
        str, Query(max_length=service.QUERY_CHARS, description="The question, in your own words.")
    ],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many matches.")] = 10,
    topic: Topic = None,
) -> Asked:
    """The stored questions that ask what `q` asks, best first, with the triage of `q`.

    When `triage.advice` is set, show it before any answer."""
    return service.ask(site_of(request), q, k, topic)


@router.get("/home")
def home(request: Request) -> Home:
    """What the home page shows: topics, the newest questions and the popular ones: first the
    `popular_counted` read most here over the last 30 days, then curated ones."""
    return service.home(site_of(request))


@router.get("/search")
def search(
    request: Request,
    q: Annotated[str, Query(max_length=500, description="Words to look for.")],
    topic: Topic = None,
    source: Annotated[str | None, Query(description="Only this source (a key).")] = None,
    question_type: Annotated[str | None, Query(alias="type", description="Only this type.")] = None,
    page: PageNumber = 1,
    per_page: PerPage = 20,
) -> SearchResult:
    """Questions containing the words of `q`; `terms` are the words to highlight."""
    return service.search(
        site_of(request),
        q,
        topic=topic,
        source=source,
        question_type=question_type,
        page=page,
        per_page=per_page,
    )


@router.get("/questions")
def questions(
    request: Request, topic: Topic = None, page: PageNumber = 1, per_page: PerPage = 20
) -> QuestionList:
    """Published questions, newest first."""
    return service.questions(site_of(request), topic, page, per_page)


@router.get("/questions/{question_id}")
def question(request: Request, question_id: str) -> Article:
    """One question with its answers, neighbours in its topic, related questions and triage."""
    return service.article(site_of(request), question_id)


@router.get("/questions/{question_id}/answers")
def answers(request: Request, question_id: str) -> list[AnswerInfo]:
    """A question's answers, in order."""
    return service.answers(site_of(request), question_id)


@router.get("/questions/{question_id}/related")
def related(
    request: Request,
    question_id: str,
    k: Annotated[int, Query(ge=1, le=20, description="How many.")] = service.RELATED_K,
) -> list[RelatedLink]:
    """Other questions to read after this one."""
    return service.related_to(site_of(request), question_id, k)


@router.get("/topics")
def topics(request: Request) -> list[TopicInfo]:
    """Every topic, with its number of published questions."""
    return service.topics(site_of(request))


@router.get("/topics/{slug}")
def topic(request: Request, slug: str, page: PageNumber = 1, per_page: PerPage = 20) -> TopicPage:
    """One topic and a page of its questions, newest first."""
    return service.topic_page(site_of(request), slug, page, per_page)
