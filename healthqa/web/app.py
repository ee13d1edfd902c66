"""`create_app`: the website and its JSON API as one ASGI application.

The pages (pages.py) and the API (api.py) call the same service functions (service.py);
feeds.py serves robots.txt, the sitemap and the Atom feeds. The search index is opened once,
at startup or on first use, and shared by every request (`Site`)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.middleware.gzip import GZipMiddleware

from healthqa import reading
from healthqa.config import Settings
from healthqa.kb import open_kb
from healthqa.search.index import SearchIndex
from healthqa.web import api, api_people, errors, experts, feeds, moderators, pages, people, service
from healthqa.web.counting import Tally
from healthqa.web.middleware import CatchUp, ConditionalGet, RefuseNul, SecurityHeaders, Shed
from healthqa.web.render import STATIC
from healthqa.web.site import Site

DESCRIPTION = (
    "Health questions with answers from trusted sources and clinicians, and an answer engine "
    "that finds the stored questions asking what you ask. General information, not a diagnosis."
)


def create_app(
    engine: Engine,
    index: SearchIndex | None = None,
    settings: Settings | None = None,
    *,
    warm: bool = False,
    tally: Tally | Literal[False] | None = None,
) -> FastAPI:
    """The site over `engine`. Without `index` the search index is opened on first use, or at
    startup when `warm` (what `healthqa serve` does, so no visitor waits for it). `tally`
    counts what people read (default: a `Tally` flushing every few seconds; False: nothing is
    counted); it flushes from startup on, and a last time at shutdown."""
    counts = Tally(engine) if tally is None else tally or None
    site = Site(engine, index, settings, tally=counts)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if counts is not None:
            counts.start()
        if warm:
            await run_in_threadpool(_warm, site)
            # An operator (and the serve test) can see when each worker takes requests.
            print(f"healthqa worker {os.getpid()} ready", file=sys.stderr, flush=True)
        yield
        if counts is not None:
            await run_in_threadpool(counts.stop)

    app = FastAPI(
        title="healthqa",
        description=DESCRIPTION,
        version="1",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.site = site
    app.include_router(api.router)
    app.include_router(api_people.router)
    app.include_router(feeds.router)
    app.include_router(pages.router)
    app.include_router(people.router)
    app.include_router(experts.router)
    app.include_router(moderators.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
    app.add_middleware(ConditionalGet)
    app.add_middleware(GZipMiddleware, minimum_size=800, compresslevel=6)
    app.add_middleware(CatchUp, catch_up=site.catch_up)
    app.add_middleware(pages.Articles)
    app.add_middleware(RefuseNul)
    app.add_middleware(Shed)  # outside the rest: a busy worker answers before doing anything
    app.add_middleware(SecurityHeaders)
    return app


def _warm(site: Site) -> None:
    """Open the search index, let related questions build what they keep for every page, and
    load what grades reading levels and, where the site reads other languages, the
    multilingual index (its vectors from the cache `healthqa index` filled)."""
    site.version()
    if site.settings.ask_languages - {"en"}:
        len(site.multilingual)
    reading.load()
    first = next(iter(site.index.docs), None)
    if first is not None:
        service.related(site, first)
        # The first ask loads the engine's dictionaries and models (focus names, question
        # types, triage): seconds, which the first askers of each worker waited for, all of
        # them at once under load (bench/bench_load.py: asks timed out at 30 s).
        service.ask(site, "What are the symptoms of high blood pressure?", 10, None)


def worker_app(database_url: str | None = None) -> FastAPI:
    """The app of one server worker process over the knowledge base at `database_url` (what
    `healthqa serve` hands each worker; default: the configured one), index loaded at startup."""
    return create_app(open_kb(database_url), warm=True)
