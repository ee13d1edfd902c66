"""ASGI middleware: security headers on every response, ETags with conditional GET on every
page that does not set its own, and 503 with Retry-After when a worker has more in hand than
it can answer in time (`Shed`)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthqa.web.errors import respond
from healthqa.web.i18n import N_

# Everything the site loads is its own; JSON-LD is data, not script, and is not blocked.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
STATIC_CACHE = "public, max-age=31536000, immutable"  # static URLs carry a content hash
TAGGED_TYPES = ("text/", "application/json", "application/xml", "application/atom+xml")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if static and message["status"] == 200:
                    headers["cache-control"] = STATIC_CACHE
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CatchUp:
    """After a change that succeeded (any POST, PUT or DELETE), the search index catches up
    before the response goes out: whoever acts next sees the change. Other worker processes
    catch up within a second on their own."""

    def __init__(self, app: ASGIApp, catch_up: Callable[[], None]) -> None:
        self.app = app
        self.catch_up = catch_up

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return

        async def send_after_catching_up(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await run_in_threadpool(self.catch_up)
            await send(message)

        await self.app(scope, receive, send_after_catching_up)


# What one worker takes on before it answers 503. The answer engine (an ask, a search, a
# question sent: 10 to 60 ms of CPU each) runs ENGINE_SLOTS requests at once, not one thread
# each: more threads only share the same 2 cores and slow the event loop, which must still
# answer the pages and refuse quickly. The others wait their turn here, without a thread,
# ENGINE_QUEUE at most (some 2-5 s of work); the next one gets 503. Every other request (a
# page: a few ms, or a cached copy) only counts towards LIMIT. bench/bench_load.py, 2 workers:
# with 4 slots, 200 clients got no 503 and under overload the 503s took 5 s (p50) to come
# back; with 2 slots the 503s took 71 ms, but the 200 clients lost asks to 503.
LIMIT = 512
ENGINE_SLOTS = 4
ENGINE_QUEUE = 128
RETRY_AFTER = 2  # seconds
ENGINE_PATHS = frozenset({"/ask", "/ask/matches", "/search", "/api/v1/ask", "/api/v1/search",
                          "/api/v1/questions"})  # fmt: skip


class Shed:
    """Answer 503 with Retry-After at once, instead of letting the client time out, when this
    worker already has `limit` requests in progress, or `engine_queue` waiting for one of the
    answer engine's `engine_slots`. The counts need no lock: a worker runs its requests on one
    event loop."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = LIMIT,
        engine_slots: int = ENGINE_SLOTS,
        engine_queue: int = ENGINE_QUEUE,
        retry_after: int = RETRY_AFTER,
    ) -> None:
        self.app = app
        self.limit, self.engine_queue, self.retry_after = limit, engine_queue, retry_after
        self.engine_slots = engine_slots
        self.in_progress = 0
        self.engine_running = 0
        self.engine_waiting = 0
        self._slots: dict[int, asyncio.Semaphore] = {}  # one per event loop (tests run several)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        engine = _engine_work(scope)
        if self.in_progress >= self.limit or (engine and self._engine_full()):
            message, headers = (
                N_("Please try again in a moment."),
                {"Retry-After": str(self.retry_after)},
            )
            await respond(Request(scope), 503, message, headers=headers)(scope, receive, send)
            return
        self.in_progress += 1
        try:
            if engine:
                await self._engine(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1

    def _engine_full(self) -> bool:
        return self.engine_running >= self.engine_slots and self.engine_waiting >= self.engine_queue

    async def _engine(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = id(asyncio.get_running_loop())
        slots = self._slots.setdefault(loop, asyncio.Semaphore(self.engine_slots))
        self.engine_waiting += 1
        try:
            await slots.acquire()
        finally:
            self.engine_waiting -= 1
        self.engine_running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.engine_running -= 1
            slots.release()


def _engine_work(scope: Scope) -> bool:
    """Whether the request runs the answer engine: a POST to one of its paths, or a GET of one
    with a query (the bare ask and search pages are only forms)."""
    if scope["path"] not in ENGINE_PATHS:
        return False
    return scope.get("method") == "POST" or bool(scope.get("query_string"))


class RefuseNul:
    """400 for a NUL character in the path or query: no page has one, and PostgreSQL refuses
    it in text (which would surface as a server error)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            message = "The address contains a NUL character (%00), which nothing here uses."
            await respond(Request(scope), 400, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


class ConditionalGet:
    """A weak ETag from the body of each successful GET; 304 when the client has it already.

    Responses that set their own ETag (the cached article pages) pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        client_tags = Headers(scope=scope).get("if-none-match", "")
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if _taggable(message):
                    start = message
                    return
                await send(message)
            elif start is None:
                await send(message)
            else:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await _finish(start, b"".join(chunks), client_tags, send)

        await self.app(scope, receive, buffer)


def _taggable(start: Message) -> bool:
    headers = Headers(raw=start["headers"])
    kind = headers.get("content-type", "")
    return (
        start["status"] == 200
        and "etag" not in headers
        and "content-encoding" not in headers
        and kind.startswith(TAGGED_TYPES)
    )


async def _finish(start: Message, body: bytes, client_tags: str, send: Send) -> None:
    etag = f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    headers = MutableHeaders(scope=start)
    headers["etag"] = etag
    if etag in client_tags or etag.removeprefix("W/") in client_tags:
        del headers["content-length"]
        headers.setdefault("cache-control", "no-cache")
        await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
        return
    await send(start)
    await send({"type": "http.response.body", "body": body})
