"""The HTML pages. Each calls one service function and renders its result; /api/v1 serves the
same results as JSON (api.py).

Article pages are the ones search engines send people to: they are rendered once per version
of the knowledge base and kept in memory, gzip and ETag included (`PageCache`); a GET of one
at its canonical URL is answered before routing (`Articles`)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from healthqa.errors import NotFound
from healthqa.people import asking
from healthqa.people.asking import AlreadyAnswered, QuestionRefused
from healthqa.people.limits import TITLE_CHARS, RateLimited
from healthqa.search.ask import AskError
from healthqa.web import counting, i18n, service, text
from healthqa.web.auth import csrf_token, form, sender, set_csrf, site_of, viewer
from healthqa.web.cache import CachedPage
from healthqa.web.errors import status_of
from healthqa.web.links import base_of
from healthqa.web.render import render
from healthqa.web.site import Site
from healthqa.web.text import sentence

router = APIRouter(include_in_schema=False)
PAGE_METHODS = ["GET", "HEAD"]
TOPIC_PAGE = 30
SEARCH_PAGE = 20
ASK_MATCHES = 8
PageNumber = Annotated[int, Query(alias="page", ge=1, le=100_000, description="Page, from 1.")]
Text = Annotated[str, Query(max_length=service.QUERY_CHARS)]
# A page's language comes from the cookie or Accept-Language: caches must keep one copy of each.
LANGUAGE_VARY = "Accept-Language, Cookie"


def here(request: Request) -> str:
    """The path and query of `request`: where the language switch comes back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page; `canonical` (a path) and `noindex` default to none and no. Forms get the
    CSRF token (`csrf`), and `viewer` is the signed-in account when the route looked it up.
    The page is in the reader's language (`i18n.language_of`)."""
    context.setdefault("canonical", None)
    context.setdefault("noindex", False)
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    html = render(
        template, i18n.language_of(request), base=base_of(request), csrf=csrf_token(request),
        here=here(request), **context,
    )  # fmt: skip
    response = HTMLResponse(html, status_code=status)
    response.headers["Vary"] = LANGUAGE_VARY
    set_csrf(request, response)
    if context["noindex"] or context["viewer"] is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# ----- articles -----


@router.api_route("/q/{external_id}", methods=PAGE_METHODS)
async def article_short(request: Request, external_id: str) -> Response:
    cached = await _article(request, external_id)
    return RedirectResponse(cached.location, status_code=301)


@router.api_route("/q/{external_id}/{slug}", methods=PAGE_METHODS)
async def article(request: Request, external_id: str, slug: str) -> Response:
    cached = await _article(request, external_id)
    if request.url.path != cached.location:
        return RedirectResponse(cached.location, status_code=301)
    counting.count(site_of(request).tally, request, external_id)
    return _send(request, cached)


async def _article(request: Request, external_id: str) -> CachedPage:
    """The article from the cache, rendered first if the knowledge base changed since."""
    site, base = site_of(request), base_of(request)
    version = site.version_if_fresh() or await run_in_threadpool(site.version)
    language = i18n.language_of(request)
    key = (external_id, base, language)
    cached = site.articles.get(key, version)
    if cached is None:
        render = partial(_render_article, site, external_id, base, version, language)
        if site.render_inline:
            cached = render()
        else:
            cached = await anyio.to_thread.run_sync(render, limiter=site.renders)
        site.articles.put(key, cached)
    return cached


def _render_article(
    site: Site, external_id: str, base: str, version: object, language: str
) -> CachedPage:
    a = service.article(site, external_id)
    summary = a.answers[0].text if a.answers else (a.body or a.display_title)
    html = render(
        "article.html",
        language,
        article=a,
        base=base,
        here=a.url,
        canonical=a.url,
        noindex=False,
        description=text.snippet(summary, 155),
    )
    return CachedPage.make(html, a.updated, version, a.url)


class Articles:
    """ASGI middleware: a GET of an article page at its canonical URL is answered here, before
    routing, from the page cache or rendered into it: FastAPI's route matching and parameter
    parsing cost more than sending a cached page (0.85 ms against 0.25 ms in-process). Anything
    else (another spelling of the URL, an unknown question, HEAD) goes on to the routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        parts = scope["path"].split("/") if scope["type"] == "http" else []
        found = None
        if scope.get("method") == "GET" and len(parts) == 4 and parts[1] == "q" and parts[3]:
            found = await _canonical_article(Request(scope), parts[2])  # parts: "", "q", id, slug
        if found is None:
            await self.app(scope, receive, send)
            return
        await found(scope, receive, send)


async def _canonical_article(request: Request, external_id: str) -> Response | None:
    """The article `external_id` when `request` asked for it at its canonical URL, else None."""
    try:
        cached = await _article(request, external_id)
    except NotFound:
        return None  # the route answers with the site's page for it
    if request.url.path != cached.location:
        return None  # the route redirects
    counting.count(site_of(request).tally, request, external_id)
    return _send(request, cached)


def _send(request: Request, cached: CachedPage) -> Response:
    """The cached page, or 304 when the browser's copy is current; gzip when accepted."""
    headers = {
        "ETag": cached.etag,
        "Last-Modified": cached.last_modified,
        "Cache-Control": "public, max-age=300",
        "Vary": f"Accept-Encoding, {LANGUAGE_VARY}",
    }
    matches = request.headers.get("if-none-match")
    since = request.headers.get("if-modified-since")
    if (matches and cached.etag in matches) or (not matches and since == cached.last_modified):
        return Response(status_code=304, headers=headers)
    body = cached.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = cached.gzipped, "gzip"
    return Response(body, headers=headers, media_type="text/html; charset=utf-8")


# ----- the language switch -----


@router.get("/language/{code}")
def choose_language(code: str, next: str = "/") -> Response:
    """Remember the reader's choice of language in a cookie and go back to the page they were
    on (a link on every page: no JavaScript needed)."""
    if code not in i18n.LANGUAGES:
        raise NotFound(f"There is no language {code!r} here: choose en, es or zh")
    response = RedirectResponse(i18n.safe_path(next), status_code=303)
    response.set_cookie(
        i18n.COOKIE, code, max_age=i18n.COOKIE_SECONDS, httponly=True, samesite="lax"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ----- home, topics -----


@router.api_route("/", methods=PAGE_METHODS)
def home(request: Request) -> HTMLResponse:
    return page(request, "home.html", home=service.home(site_of(request)), canonical="/")


@router.api_route("/topics", methods=PAGE_METHODS)
def topics(request: Request) -> HTMLResponse:
    return page(
        request, "topics.html", topics=service.topics(site_of(request)), canonical="/topics"
    )


@router.api_route("/topics/{slug}", methods=PAGE_METHODS)
def topic(request: Request, slug: str, page_number: PageNumber = 1) -> HTMLResponse:
    result = service.topic_page(site_of(request), slug, page_number, TOPIC_PAGE)
    canonical = result.topic.url + (f"?page={page_number}" if page_number > 1 else "")
    return page(
        request,
        "topic.html",
        page=result,
        canonical=canonical,
        link=lambda n: result.topic.url + (f"?page={n}" if n > 1 else ""),
    )


# ----- ask -----


@router.api_route("/ask", methods=PAGE_METHODS)
def ask(request: Request, q: Text = "", topic: str | None = None, send: bool = False) -> Response:
    """The ask page: without `q` a form; with it the best matches, worked out on the server
    so that the page works without JavaScript (ask.js adds results as you type)."""
    asked, error, status = None, None, 200
    if q.strip():
        try:
            asked = service.ask(site_of(request), q, ASK_MATCHES, topic or None)
        except AskError as exc:
            error, status = sentence(exc), 400
    return page(
        request, "ask.html", status, q=q, asked=asked, error=error, send=send, title="",
        canonical="/ask", noindex=bool(q),
    )  # fmt: skip


@router.api_route("/ask/matches", methods=PAGE_METHODS)
def ask_matches(request: Request, q: Text = "") -> HTMLResponse:
    """Only the results part of the ask page, for the as-you-type results."""
    try:
        asked = service.ask(site_of(request), q, ASK_MATCHES) if q.strip() else None
    except AskError:
        asked = None
    html = render(
        "_matches.html", i18n.language_of(request), asked=asked, send=False, title="",
        csrf=csrf_token(request),
    )  # fmt: skip
    response = HTMLResponse(html)
    response.headers["Vary"] = LANGUAGE_VARY
    set_csrf(request, response)
    return response


@router.post("/ask")
async def ask_send(request: Request, fields: Annotated[dict[str, str], Depends(form)]) -> Response:
    """Take a question for the experts and send the asker to its private page; offer the
    stored answer first when one asks the same thing (unless they confirm)."""
    who = await viewer(request)
    title, details = fields.get("title", ""), fields.get("details", "")
    site = site_of(request)
    try:
        sent = await run_in_threadpool(
            asking.submit, site, title, details, sender=sender(request),
            account=who.account, email=fields.get("email") or None,
            confirm_new=fields.get("confirm") == "yes",
        )  # fmt: skip
    except (QuestionRefused, RateLimited, AskError) as exc:
        message = exc.message if isinstance(exc, QuestionRefused) else str(exc)
        not_sent = i18n.gettext(i18n.language_of(request), i18n.N_("Not sent: %(reason)s."))
        return page(
            request, "ask.html", status_of(exc), q="", asked=None, send=True,
            title=title[:TITLE_CHARS],
            details=details, error=not_sent % {"reason": message}, noindex=True,
        )  # fmt: skip
    except AlreadyAnswered as exc:
        return page(
            request, "ask_duplicate.html", 200, title=title, details=details,
            email=fields.get("email", ""), matches=exc.matches, noindex=True,
        )  # fmt: skip
    flags = "?sent=1" + ("&masked=" + ",".join(sent.masked) if sent.masked else "")
    return RedirectResponse(f"/private/{sent.token}{flags}", status_code=303)


# ----- search -----


@router.api_route("/search", methods=PAGE_METHODS)
def search(
    request: Request,
    q: Text = "",
    topic: str | None = None,
    source: str | None = None,
    question_type: Annotated[str | None, Query(alias="type")] = None,
    page_number: PageNumber = 1,
) -> HTMLResponse:
    site = site_of(request)
    chosen = {
        "topic": topic or None,
        "source": source or None,
        "question_type": question_type or None,
    }
    result = (
        service.search(site, q, page=page_number, per_page=SEARCH_PAGE, **chosen)
        if q.strip()
        else None
    )

    def link(n: int) -> str:
        params = {"q": q, "topic": topic, "source": source, "type": question_type, "page": n}
        return "/search?" + urlencode({k: v for k, v in params.items() if v and v != 1})

    return page(
        request, "search.html", q=q, topic=chosen["topic"], source=chosen["source"],
        question_type=chosen["question_type"], result=result,
        filters=service.search_filters(site), depth=service.SEARCH_DEPTH, link=link,
        noindex=True,
    )  # fmt: skip


# ----- the API reference -----


@router.api_route("/docs", methods=PAGE_METHODS)
def api_docs(request: Request) -> HTMLResponse:
    spec = request.app.openapi()
    return page(request, "api_docs.html", spec=spec, operations=list(_operations(spec)))


def _operations(spec: dict[str, Any]) -> Any:
    """Each operation of an OpenAPI document, flattened for reading."""
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            yield {
                "id": op.get("operationId", ""),
                "method": method.upper(),
                "path": path,
                "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "parameters": [_parameter(p) for p in op.get("parameters", [])],
                "body": _schema_name(body.get("schema", {})) if body else "",
                "responses": ", ".join(
                    f"{code} {r.get('description', '')}" for code, r in op["responses"].items()
                ),
            }


def _parameter(p: dict[str, Any]) -> dict[str, Any]:
    schema = p.get("schema", {})
    limits = [
        f"{word} {schema[key]}"
        for key, word in (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "at most"))
        if key in schema
    ]
    if "default" in schema:
        limits.append(f"default {schema['default']}")
    notes = "; ".join(filter(None, [p.get("description", ""), ", ".join(limits)]))
    return {
        "name": p["name"],
        "where": p["in"],
        "required": p.get("required", False),
        "type": _schema_name(schema),
        "notes": notes,
    }


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_schema_name(s) for s in schema["anyOf"])
    return str(schema.get("type", "any"))
