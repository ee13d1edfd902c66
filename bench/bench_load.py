"""Load: many clients at once against `healthqa serve` with two workers, from another process.

    HEALTHQA_HOME=/tmp/kb python bench/bench_load.py --db /tmp/kb/healthqa.db [--clients 200]

Works on a copy of the database (SQLite's online backup), since clients send questions. Starts
the real server, then a load generator in a separate process: each client, in a closed loop,
views an article (75%, any published one, from the sitemap), asks (15%, a LiveQA message's
subject, through /api/v1/ask) or sends a question for the experts (10%, /api/v1/questions).
Phase 1: `--clients` clients for `--seconds`. Phase 2 (overload): `--overload` clients asking
only, for 20 s: the server should answer 503 with Retry-After rather than let them time out.
Prints, per kind, the statuses, latency percentiles and what was not an answer. No asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_web import _sitemap_paths, free_port, wait_for  # noqa: E402

MIX = (("article", 0.75), ("ask", 0.15), ("send", 0.10))
TIMEOUT = 30.0  # seconds a client waits for an answer
TLS = ssl.create_default_context()


async def client(base: str, kinds: list[str], work: dict[str, list[str]], until: float,
                 seen: list[tuple[str, int | str, float, bool]], seed: int) -> None:  # fmt: skip
    """One client with its own connection, in a closed loop: a request, its answer, the next."""
    import httpx

    rng = random.Random(seed)
    # One TLS context for all (unused over http, but each client would load the CA bundle into
    # its own: some 10 ms of CPU each, seconds of the run with 1,000 clients).
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, verify=TLS) as http:
        while time.monotonic() < until:
            kind = rng.choice(kinds)
            start = time.monotonic()
            try:
                if kind == "article":
                    r = await http.get(rng.choice(work["article"]))
                elif kind == "ask":
                    r = await http.get("/api/v1/ask", params={"q": rng.choice(work["ask"])})
                else:
                    mark = f"(asked by load client {seed}, {rng.random():.6f})"
                    title = f"{rng.choice(work['ask'])} {mark}"
                    r = await http.post(
                        "/api/v1/questions", json={"title": title[:200], "details": ""}
                    )
                status: int | str = r.status_code
                retry = "retry-after" in r.headers
            except Exception as exc:  # a timeout or a refused connection is what we count
                status, retry = type(exc).__name__, False
            seen.append((kind, status, time.monotonic() - start, retry))


Seen = list[tuple[str, int | str, float, bool]]  # kind, status or failure, seconds, Retry-After


async def generate(
    base: str, clients: int, seconds: float, kinds: list[str], work: dict[str, list[str]]
) -> Seen:
    seen: Seen = []
    until = time.monotonic() + seconds
    await asyncio.gather(*(client(base, kinds, work, until, seen, n) for n in range(clients)))
    return seen


def generator_main(args: argparse.Namespace) -> None:
    """The load generator's own process: prints what it saw as JSON."""
    work = json.loads(Path(args.work).read_text())
    weights = dict(MIX) if args.kinds == "mix" else {"ask": 1.0}
    kinds = [k for k, w in weights.items() for _ in range(int(w * 100))]
    seen = asyncio.run(generate(args.base, args.clients, args.seconds, kinds, work))
    print(json.dumps(seen))


def report(title: str, seen: list[list[object]], seconds: float) -> None:
    print(f"\n{title}: {len(seen):,} requests in {seconds:.0f} s, {len(seen) / seconds:,.0f} req/s")
    by_kind: dict[str, list[list[object]]] = defaultdict(list)
    for row in seen:
        by_kind[str(row[0])].append(row)
    for kind, rows in sorted(by_kind.items()):
        statuses = Counter(str(r[1]) for r in rows)
        times = sorted(float(r[2]) * 1000 for r in rows)  # type: ignore[arg-type]
        q = statistics.quantiles(times, n=100) if len(times) > 1 else [times[0]] * 99
        busy = sorted(float(r[2]) * 1000 for r in rows if str(r[1]) == "503")  # type: ignore[arg-type]
        if len(busy) > 1:
            b = statistics.quantiles(busy, n=100)
            print(f"  {kind:<8} the 503s alone: p50 {b[49]:.1f} ms, p99 {b[98]:.1f} ms")
        no_retry = sum(1 for r in rows if str(r[1]) in ("429", "503") and not r[3])
        print(f"  {kind:<8} {len(rows):>7,}  p50 {q[49]:7.1f} ms  p95 {q[94]:7.1f} ms  "
              f"p99 {q[98]:7.1f} ms  statuses {dict(statuses)}"
              + (f"  ({no_retry} 429/503 without Retry-After)" if no_retry else ""))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="/tmp/kb/healthqa.db", help="SQLite file to copy")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--overload", type=int, default=1000, help="clients of phase 2 (0: none)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default="mix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generator_main(args)
        return
    from healthqa.search.evaluate import liveqa_queries

    folder = args.data / "liveqa-med-train"
    if not folder.is_dir():
        sys.exit(f"skipped: {folder} is absent")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        copy = root / "load.db"
        with sqlite3.connect(args.db) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = os.environ | {"HEALTHQA_HOME": str(root / "home")}
        command = [str(Path(sys.executable).with_name("healthqa")), "--db", str(copy), "serve",
                   "--port", str(port), "--workers", str(args.workers)]  # fmt: skip
        log = (root / "server.log").open("wb")
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            started = time.monotonic()
            wait_for(f"{base}/robots.txt", 900, server)
            print(f"server ready in {time.monotonic() - started:.0f} s ({args.workers} workers)")
            asks = [q.text.split(".")[0][:150] for q in liveqa_queries(folder)]
            work = {"article": _sitemap_paths(base, f"{base}/sitemap.xml"), "ask": asks}
            (root / "work.json").write_text(json.dumps(work))
            phases = [(f"{args.clients} clients, mixed", args.clients, args.seconds, "mix")]
            if args.overload:
                phases.append(
                    (f"overload: {args.overload} clients asking", args.overload, 20, "ask")
                )
            for title, clients, seconds, kinds in phases:
                out = subprocess.run(
                    [sys.executable, __file__, "--generate", "--base", base, "--work",
                     str(root / "work.json"), "--clients", str(clients), "--seconds",
                     str(seconds), "--kinds", kinds],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                report(title, json.loads(out.stdout), seconds)
        finally:
            server.terminate()
            server.wait(60)
            if os.environ.get("BENCH_LOAD_LOG"):
                print((root / "server.log").read_text()[-6000:])


if __name__ == "__main__":
    main()
