"""Counting what people read, cheaply: each article page a person gets is counted in this
worker's memory, and every worker adds its counts to the database in batches
(`healthqa.store.counts`), where every worker and every server sees them.

What counts as a view: a GET of an article page answered 200 or 304 (a browser checking its
copy is a person reading again). What counts as an ask as well: a view opened from the ask
page (its results, as typed or submitted, or the "already answered" page after sending), as
its `Referer` says: a person whose question landed on this one chose it. Only the Referer's
path is looked at, never the question its query carries; browsers send a path only to the
same site unless told otherwise, so another site's links are not asks. The matches merely
shown are not counted: every ask shows eight, and counting them would count the ranking.

Not counted: HEAD requests, prefetches and prerenders (`Sec-Purpose`, `Purpose`, `X-Purpose`,
`X-Moz`), robots, scripts and health checks (User-Agent patterns in `bots.txt`, which says
where they come from), the API (programs), redirects. A person who reloads a page counts again:
telling them apart would mean remembering visitors, which the site does not.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request

from healthqa.store.counts import Reads, add_counts

log = logging.getLogger(__name__)

BOTS_FILE = Path(__file__).with_name("bots.txt")
FLUSH_SECONDS = 5.0  # a worker adds its counts to the database at least this often ...
FLUSH_EVENTS = 1_000  # ... and sooner once it counted this many views
PREFETCH_HEADERS = ("sec-purpose", "purpose", "x-purpose", "x-moz")
PREFETCH_WORDS = ("prefetch", "prerender", "preview")
ASK_PAGE = "/ask"  # a Referer with this path: the page was opened after asking


def count(tally: Tally | None, request: Request, external_id: str) -> None:
    """Count the article `external_id` sent in answer to `request`, if a person asked."""
    if tally is not None and is_person(request):
        tally.add(external_id, asked=from_ask(request))


def from_ask(request: Request) -> bool:
    """Whether the page was opened from the ask page, by the path of its Referer."""
    return urlsplit(request.headers.get("referer", "")).path == ASK_PAGE


def is_person(request: Request) -> bool:
    """A GET that is neither a prefetch nor from a robot, script or health check."""
    if request.method != "GET":
        return False
    headers = request.headers
    for name in PREFETCH_HEADERS:
        value = headers.get(name, "").lower()
        if value and any(word in value for word in PREFETCH_WORDS):
            return False
    return not is_robot(headers.get("user-agent", ""))


@lru_cache(maxsize=4096)  # a site sees a few hundred distinct browsers a day
def is_robot(user_agent: str) -> bool:
    return robots().search(user_agent) is not None


@cache
def robots(path: Path = BOTS_FILE) -> re.Pattern[str]:
    """The patterns of `bots.txt` as one case-insensitive expression."""
    lines = path.read_text(encoding="utf-8").splitlines()
    patterns = [line for line in lines if line.strip() and not line.startswith("#")]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


class Tally:
    """What this worker process counted and has not yet added to the database.

    `add` is a dictionary update under a lock, never a database write. A thread adds the
    counts to the database every `seconds`, or sooner once `events` views were counted, and
    `stop` (the app's shutdown) adds the rest. A flush that fails (database away, locked too
    long) keeps its counts for the next one. A worker killed outright (SIGKILL, out of
    memory, power cut) loses what it counted since its last flush: at most `seconds` or
    `events` of its views."""

    def __init__(
        self, engine: Engine, *, seconds: float = FLUSH_SECONDS, events: int = FLUSH_EVENTS
    ) -> None:
        self.engine = engine
        self.seconds = seconds
        self.events = events
        self._counts: dict[tuple[str, date], Reads] = {}
        self._pending = 0
        self._lock = threading.Lock()  # guards _counts and _pending
        self._flushing = threading.Lock()  # one flush at a time
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def add(self, external_id: str, *, asked: bool = False) -> None:
        """Count one view of `external_id` today (UTC), and one ask when `asked`."""
        key = (external_id, datetime.now(UTC).date())
        with self._lock:
            reads = self._counts.get(key)
            if reads is None:
                reads = self._counts[key] = Reads()
            reads.views += 1
            reads.asks += asked
            self._pending += 1
            full = self._pending >= self.events
        if full:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Views counted and not yet in the database."""
        return self._pending

    def flush(self) -> int:
        """Add what was counted to the database now; returns the number of views added.

        When it fails the counts are kept for the next flush, and the error raised."""
        with self._flushing:
            with self._lock:
                counts, self._counts = self._counts, {}
                events, self._pending = self._pending, 0
            if not counts:
                return 0
            try:
                add_counts(self.engine, counts)
            except BaseException:
                self._put_back(counts, events)
                raise
            return events

    def _put_back(self, counts: dict[tuple[str, date], Reads], events: int) -> None:
        with self._lock:
            for key, reads in counts.items():
                kept = self._counts.setdefault(key, Reads())
                kept.views += reads.views
                kept.asks += reads.asks
            self._pending += events

    def start(self) -> None:
        """Start flushing in the background (the app's startup)."""
        if self._thread is None:
            self._stopped = False
            self._thread = threading.Thread(target=self._run, name="reading-counts", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the background flushes and add what is left (the app's shutdown)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopped = True
            self._wake.set()
            thread.join()
        self._flush_logged()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self.seconds)
            self._wake.clear()
            if not self._stopped:  # stop() flushes the rest itself
                self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except SQLAlchemyError as error:  # the database away: the next flush tries again
            log.warning("reading counts not saved yet (%d views kept): %s", self._pending, error)
        except Exception:  # never let one bad flush stop the flushing thread
            log.exception("reading counts not saved yet (%d views kept)", self._pending)
