"""The article cache: bounded by pages and by bytes, least recently used dropped first."""

from __future__ import annotations

from datetime import UTC, datetime

from healthqa.web.cache import CachedPage, PageCache

WHEN = datetime(2026, 12, 1, tzinfo=UTC)


def page(text: str, version: int = 1) -> CachedPage:
    return CachedPage.make(text, WHEN, version, "/q/x")


def test_the_cache_holds_at_most_its_bytes_dropping_the_least_recently_used() -> None:
    one = page("a" * 10_000)
    cache = PageCache(size=100, max_bytes=3 * one.size)
    for key in "abc":
        cache.put(key, page("a" * 10_000))
    assert cache.get("a", 1) is not None  # a is now the most recently used
    cache.put("d", page("a" * 10_000))
    assert cache.get("b", 1) is None and cache.get("a", 1) and cache.get("d", 1)
    assert len(cache) == 3 and cache.bytes == 3 * one.size


def test_replacing_a_page_counts_its_bytes_once_and_a_huge_page_is_still_kept() -> None:
    cache = PageCache(size=100, max_bytes=50_000)
    cache.put("a", page("a" * 1_000))
    cache.put("a", page("b" * 2_000, version=2))
    assert cache.bytes == page("b" * 2_000).size and cache.get("a", 1) is None
    huge = page("".join(chr(33 + i % 90) * 7 for i in range(20_000)))  # bigger than the budget
    cache.put("h", huge)
    assert cache.get("h", 1) is huge and len(cache) == 1 and cache.bytes == huge.size


def test_the_cache_holds_at_most_its_pages() -> None:
    cache = PageCache(size=2, max_bytes=10**9)
    for key in "abc":
        cache.put(key, page(key))
    assert cache.get("a", 1) is None and len(cache) == 2
