"""What programs read: robots.txt, the sitemap (an index of sitemaps past 50,000 URLs) and an
Atom feed of new questions, site-wide and per topic."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, Response
from markupsafe import escape

from healthqa.errors import NotFound
from healthqa.store.queries import list_questions, published_count, published_pages
from healthqa.web import service
from healthqa.web.cache import http_date
from healthqa.web.render import render
from healthqa.web.service import QuestionLink
from healthqa.web.site import Site

SITEMAP_LIMIT = 50_000  # URLs in one sitemap file (sitemaps.org)
FEED_ENTRIES = 30
XML = "application/xml; charset=utf-8"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM = "application/atom+xml; charset=utf-8"

router = APIRouter(include_in_schema=False)
PAGE_METHODS = ["GET", "HEAD"]


@dataclass(frozen=True)
class SitemapEntry:
    path: str
    updated: datetime | None


@dataclass
class Feed:
    title: str
    path: str  # the feed's own path
    page: str  # the page it follows
    updated: datetime
    entries: list[tuple[QuestionLink, datetime]]


def sitemap_entries(site: Site, part: int = 1) -> tuple[list[SitemapEntry], int]:
    """The public pages worth indexing (home, topics, each published question) of one sitemap
    part (SITEMAP_LIMIT each), and how many there are in all. Only the count and the fixed
    pages are kept per version: a worker holding every entry of a million questions grew by
    620 MB on the first fetch of the sitemap."""
    first, total = _fixed_pages(site)
    start = (part - 1) * SITEMAP_LIMIT
    head = first[start : start + SITEMAP_LIMIT]
    offset = max(0, start - len(first))
    found = published_pages(site.engine, offset, SITEMAP_LIMIT - len(head))
    pages = [SitemapEntry(service.question_url(e, t), updated) for e, t, updated in found]
    return head + pages, total


def _fixed_pages(site: Site) -> tuple[list[SitemapEntry], int]:
    """Home, /topics and the topics with questions; and how many pages the sitemap lists."""

    def build() -> tuple[list[SitemapEntry], int]:
        pages = [SitemapEntry(p, None) for p in ("/", "/topics")]  # robots.txt keeps /ask out
        pages += [SitemapEntry(t.url, None) for t in service.topics(site) if t.questions]
        return pages, len(pages) + published_count(site.engine)

    return site.cached("sitemap", build)


def feed(site: Site, topic: str | None) -> Feed:
    """The newest published questions, of one topic or all."""
    info = service.topic_by_slug(site, topic) if topic else None
    found = list_questions(site.engine, topic=topic, limit=FEED_ENTRIES)
    entries = [(service.question_link(site, q), q.updated_at) for q in found]
    return Feed(
        title=f"{info.name} · new questions" if info else "New questions",
        path=f"{info.url}/feed.atom" if info else "/feed.atom",
        page=info.url if info else "/",
        updated=max((u for _, u in entries), default=datetime(2000, 1, 1, tzinfo=UTC)),
        entries=entries,
    )


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.api_route("/robots.txt", methods=PAGE_METHODS)
def robots(request: Request) -> PlainTextResponse:
    return PlainTextResponse(render("robots.txt", base=_base(request)))


@router.api_route("/sitemap.xml", methods=PAGE_METHODS)
def sitemap(request: Request) -> Response:
    site, base = _site(request), _base(request)
    _, total = _fixed_pages(site)
    if total <= SITEMAP_LIMIT:
        return Response(urlset(sitemap_entries(site)[0], base), media_type=XML)
    parts = range(1, math.ceil(total / SITEMAP_LIMIT) + 1)
    return Response(sitemap_index([f"{base}/sitemaps/{n}.xml" for n in parts]), media_type=XML)


@router.api_route("/sitemaps/{part}.xml", methods=PAGE_METHODS)
def sitemap_part(request: Request, part: Annotated[int, Path(ge=1)]) -> Response:
    site = _site(request)
    _, total = _fixed_pages(site)
    if total <= SITEMAP_LIMIT or part > math.ceil(total / SITEMAP_LIMIT):
        raise NotFound(f"no sitemap part {part}")
    chunk, _ = sitemap_entries(site, part)
    return Response(urlset(chunk, _base(request)), media_type=XML)


def urlset(entries: list[SitemapEntry], base: str) -> str:
    """A sitemap file. Built by hand, not by template: 50,000 URLs in tens of milliseconds."""
    base = str(escape(base))
    urls = (
        f"<url><loc>{base}{escape(e.path)}</loc>"
        + (f"<lastmod>{e.updated:%Y-%m-%d}</lastmod>" if e.updated else "")
        + "</url>\n"
        for e in entries
    )
    return f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}">\n{"".join(urls)}</urlset>\n'


def sitemap_index(urls: list[str]) -> str:
    parts = "".join(f"<sitemap><loc>{escape(url)}</loc></sitemap>\n" for url in urls)
    return f'{XML_HEAD}<sitemapindex xmlns="{SITEMAP_NS}">\n{parts}</sitemapindex>\n'


@router.api_route("/feed.atom", methods=PAGE_METHODS)
def site_feed(request: Request) -> Response:
    return _atom(request, None)


@router.api_route("/topics/{slug}/feed.atom", methods=PAGE_METHODS)
def topic_feed(request: Request, slug: str) -> Response:
    return _atom(request, slug)


def _atom(request: Request, topic: str | None) -> Response:
    found = feed(_site(request), topic)
    body = render("feed.atom", feed=found, base=_base(request))
    return Response(body, media_type=ATOM, headers={"Last-Modified": http_date(found.updated)})
