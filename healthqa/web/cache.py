"""Rendered pages kept in memory, ready to send: body, gzip body, ETag and Last-Modified."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    gzipped: bytes
    etag: str
    last_modified: str
    version: Hashable
    location: str  # the page's canonical path, where other spellings of its URL redirect

    @property
    def size(self) -> int:
        """The bytes it holds."""
        return len(self.body) + len(self.gzipped)

    @classmethod
    def make(cls, html: str, updated: datetime, version: Hashable, location: str) -> CachedPage:
        body = html.encode()
        return cls(
            body=body,
            gzipped=gzip.compress(body, compresslevel=6, mtime=0),
            etag=f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"',
            last_modified=http_date(updated),
            version=version,
            location=location,
        )


class PageCache:
    """At most `size` pages holding at most `max_bytes` together, least recently used dropped
    first; thread-safe."""

    def __init__(self, size: int, max_bytes: int) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._pages: OrderedDict[Hashable, CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable) -> CachedPage | None:
        """The page stored under `key` if it was rendered at `version`."""
        with self._lock:
            page = self._pages.get(key)
            if page is None or page.version != version:
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: CachedPage) -> None:
        with self._lock:
            old = self._pages.pop(key, None)
            self.bytes += page.size - (old.size if old else 0)
            self._pages[key] = page
            while len(self._pages) > self.size or (
                self.bytes > self.max_bytes and len(self._pages) > 1
            ):
                _, dropped = self._pages.popitem(last=False)
                self.bytes -= dropped.size

    def __len__(self) -> int:
        return len(self._pages)


def http_date(when: datetime) -> str:
    """An HTTP date; naive times (as SQLite returns them) are UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return format_datetime(when.astimezone(UTC), usegmt=True)
