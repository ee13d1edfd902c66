"""What counting reads costs the article page: the same cached article asked of two apps in one
process, one counting nothing and one counting every view (its flush thread running, at its
default of every 5 s or 1,000 views), plus a robot's requests (User-Agent matched, not counted).

    .venv/bin/python bench/bench_counts.py [--db URL] [--rounds N] [--requests N]

The requests go straight into the ASGI app (no sockets), so the figures are the app's own work
per request, where counting adds its share; the runs take turns so that drift in machine speed
hits each. Without --db: the demo corpus in a temporary SQLite file; --db names a scratch copy
of a knowledge base (the benchmark adds reading counts to it). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request

from healthqa.config import load_settings
from healthqa.ingest.demo import import_demo
from healthqa.kb import open_index, open_kb
from healthqa.store.counts import Reads, add_counts
from healthqa.web.app import create_app
from healthqa.web.counting import Tally, count
from healthqa.web.service import article

FIREFOX = b"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
GOOGLEBOT = b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


async def get(app: Any, path: str, user_agent: bytes) -> int:
    """One GET through the whole app and its middleware; the response's status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"bench"), (b"user-agent", user_agent)],
        "client": ("127.0.0.1", 5000), "server": ("bench", 80),
    }  # fmt: skip
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def timed(app: Any, path: str, user_agent: bytes, n: int) -> list[float]:
    """Microseconds for each of `n` requests."""
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        status = await get(app, path, user_agent)
        samples.append((time.perf_counter() - start) * 1e6)
        if status != 200:
            raise SystemExit(f"{path}: status {status}")
    return samples


def line(name: str, samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    rate = len(samples) / (sum(samples) / 1e6)
    return f"{name:<34} {rate:9,.0f} req/s  p50 {q[49]:7.1f} µs  p90 {q[89]:7.1f}  p99 {q[98]:7.1f}"


async def run(args: argparse.Namespace, folder: Path) -> None:
    url = args.db or f"sqlite:///{folder / 'kb.db'}"
    engine = open_kb(url)
    if not args.db:
        import_demo(engine)
    settings = load_settings(database_url=url, index_dir=None if args.db else folder / "index")
    index = open_index(engine, settings)
    tally = Tally(engine)  # the default: what `healthqa serve` runs
    plain = create_app(engine, index, settings, tally=False)
    counting = create_app(engine, index, settings, tally=tally)
    site = counting.state.site
    first = next(iter(index.docs.values()))
    path = article(site, first.external_id).url
    runs = {"no counting": (plain, FIREFOX), "counting, a person": (counting, FIREFOX)}
    runs["counting, a robot (not counted)"] = (counting, GOOGLEBOT)
    samples: dict[str, list[float]] = {name: [] for name in runs}
    tally.start()
    try:
        for app, agent in runs.values():
            await timed(app, path, agent, 200)  # warm: render and cache the page
        for _ in range(args.rounds):
            for name, (app, agent) in runs.items():
                samples[name] += await timed(app, path, agent, args.requests)
    finally:
        tally.stop()
    print(f"article {path} on {engine.url.get_backend_name()}, {len(index.docs)} questions")
    print(f"{args.rounds} rounds of {args.requests} requests each, taking turns, in-process")
    for name, found in samples.items():
        print(line(name, found))
    base = statistics.median(samples["no counting"])
    for name in list(runs)[1:]:
        print(f"{name} / no counting, p50: {statistics.median(samples[name]) / base:.3f}")
    count_cost(engine, first.external_id, path)
    flush_cost(engine, [d.external_id for d in list(index.docs.values())[:200]])
    engine.dispose()


def count_cost(engine: Any, external_id: str, path: str, n: int = 100_000) -> None:
    """What `counting.count` itself costs a request, outside the app (the same request)."""
    tally = Tally(engine, seconds=3600, events=10 * n)  # no flush while timing
    for name, agent in (("a person", FIREFOX), ("a robot", GOOGLEBOT)):
        request = Request({"type": "http", "method": "GET", "path": path, "headers": [
            (b"host", b"bench"), (b"user-agent", agent), (b"referer", b"http://bench/ask?q=x"),
        ]})  # fmt: skip
        start = time.perf_counter()
        for _ in range(n):
            count(tally, request, external_id)
        took = (time.perf_counter() - start) / n * 1e6
        print(f"counting.count alone, {name}: {took:.2f} µs a request ({n:,} in a loop)")


def flush_cost(engine: Any, external_ids: list[str]) -> None:
    """One flush as a busy worker makes it: 1,000 views over 200 questions, today."""
    today = datetime.now(UTC).date()
    batch = {(i, today): Reads(views=5, asks=1) for i in external_ids}
    millis = []
    for _ in range(20):
        start = time.perf_counter()
        add_counts(engine, batch)
        millis.append((time.perf_counter() - start) * 1e3)
    views = sum(r.views for r in batch.values())
    p50 = statistics.median(millis)
    print(
        f"flush of {views:,} views over {len(batch)} questions: p50 {p50:.1f} ms"
        f" (max {max(millis):.1f}), {p50 * 1e3 / views:.1f} µs a view, on the flush thread"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a scratch copy of a knowledge base; default: demo corpus")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500, help="per run and round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-counts-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
