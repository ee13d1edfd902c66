"""The scale table: import, index build, ask latency, article throughput and memory per worker
on synthetic bases of growing size (bench/synthetic.py), on SQLite and on PostgreSQL.

    python bench/bench_scale.py --sizes 50000,200000,1000000 [--dbs sqlite,postgresql]
        [--work /tmp/scale] [--skip-web]

Each (database, size) runs the real commands in child processes on a fresh base: `healthqa
import jsonl`, `healthqa index` (its phases timed by its own output; peak memory from the
child's rusage), bench/bench_ask.py (the 446 LiveQA messages) and bench/bench_web.py (`serve
--workers 2`, wrk at 64 connections, nginx serving the same page as the reference; memory of
each worker after the runs). The PostgreSQL is a throwaway PostgreSQL 16 with pgvector
(pgserver's, tests/pg.py, started with fsync off). Results are kept as JSON in --work, one
file per run, so a long table can be filled over several runs; the table is printed from all
of them, with the growth factor from the smallest size to the largest. No asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from tests.pg import create_database, pgvector_bindir, throwaway_postgres  # noqa: E402

HEALTHQA = Path(sys.executable).with_name("healthqa")
DATA = ROOT.parent / "shared" / "data"
# (row name, key, format): the table's rows, in order
ROWS = [
    ("import", "import_s", "{:,.0f} s"),
    ("import peak memory", "import_mb", "{:,.0f} MB"),
    ("embeddings cached in advance", "cache_copied", "{:,.0f}"),
    ("search index build", "index_s", "{:,.0f} s"),
    ("related lists", "related_s", "{:,.0f} s"),
    ("triage of questions", "triage_s", "{:,.0f} s"),
    ("whole `healthqa index`", "index_all_s", "{:,.0f} s"),
    ("index peak memory", "index_mb", "{:,.0f} MB"),
    ("index opened (ask process)", "open_s", "{:,.1f} s"),
    ("ask p50", "ask_p50", "{:.1f} ms"),
    ("ask p95", "ask_p95", "{:.1f} ms"),
    ("ask process memory", "ask_mb", "{:,.0f} MB"),
    ("articles cached, req/s", "cached_rps", "{:,.0f}"),
    ("articles uncached, req/s", "uncached_rps", "{:,.0f}"),
    ("uncached p99", "uncached_p99", "{:.0f} ms"),
    ("nginx, req/s", "nginx_rps", "{:,.0f}"),
    ("memory per web worker", "worker_mb", "{:,.0f} MB"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50000,200000")
    parser.add_argument("--dbs", default="sqlite,postgresql")
    parser.add_argument("--work", type=Path, default=Path("/tmp/scale"))
    parser.add_argument("--zip", type=Path, default=DATA / "MedQuAD-master.zip")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument(
        "--cache-from",
        metavar="URL",
        help="copy this base's embedding cache in before `healthqa index` (a larger base of "
        "the same seed holds every text of a smaller one): the build is then timed with its "
        "embeddings cached, as the issue's target is; the first build's embedding is timed "
        "where it happens",
    )
    args = parser.parse_args()
    if not args.zip.exists():
        sys.exit(f"skipped: {args.zip} is absent")
    sizes = [int(s) for s in args.sizes.split(",")]
    dbs = args.dbs.split(",")
    args.work.mkdir(parents=True, exist_ok=True)
    with postgres() if "postgresql" in dbs else nullcontext("") as admin:
        for size in sizes:
            corpus = corpus_file(args, size)
            for db in dbs:
                result = run(db, size, corpus, args, admin)
                (args.work / f"result-{db}-{size}.json").write_text(json.dumps(result, indent=1))
                print(f"done: {db} {size:,}", flush=True)
    table(args.work)


@contextmanager
def postgres() -> Iterator[str]:
    with throwaway_postgres(pgvector_bindir()) as admin:
        yield admin


def corpus_file(args: argparse.Namespace, size: int) -> Path:
    path = args.work / f"synthetic-{size}-seed{args.seed}.jsonl"
    if not path.exists():  # the same size and seed always give the same file
        from healthqa.ingest.medquad import read

        base, _ = read(args.zip)
        start = time.perf_counter()
        synthetic.write(path, base, size, args.seed)
        print(f"generated {size:,} questions in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def run(db: str, size: int, corpus: Path, args: argparse.Namespace, admin: str) -> dict[str, Any]:
    home = args.work / f"home-{db}-{size}"
    home.mkdir(exist_ok=True)
    url = (
        f"sqlite:///{home}/healthqa.db"
        if db == "sqlite"
        else create_database(admin, f"scale_{size}_{int(time.time())}")
    )
    env = os.environ | {"HEALTHQA_HOME": str(home), "HEALTHQA_NO_PROGRESS": "1"}
    result: dict[str, Any] = {"db": db, "size": size}
    command(env, url, "init")
    seconds, mb, _ = command(env, url, "import", "jsonl", str(corpus))
    result |= {"import_s": seconds, "import_mb": mb}
    if args.cache_from:
        result["cache_copied"] = copy_cache(args.cache_from, url)
    seconds, mb, out = command(env, url, "index")
    result |= {"index_all_s": seconds, "index_mb": mb} | index_phases(out)
    result |= ask_figures(env, url)
    if not args.skip_web:
        result |= web_figures(env, url)
    print(json.dumps(result), flush=True)
    return result


def copy_cache(source: str, target: str) -> int:
    """Copy the embedding cache (text hash -> vector) of `source` into `target`; returns the
    rows copied."""
    from sqlalchemy import create_engine, select

    from healthqa.search.semantic import _insert_new  # the cache's own insert-if-new
    from healthqa.store.models import Embedding

    reader, writer = create_engine(source), create_engine(target)
    insert = _insert_new(writer)
    copied = 0
    with reader.connect() as conn, writer.begin() as out:
        rows = conn.execution_options(yield_per=5_000).execute(
            select(Embedding.key, Embedding.vector)
        )
        for batch in rows.partitions():
            out.execute(insert, [{"key": k, "vector": v} for k, v in batch])
            copied += len(batch)
    return copied


def command(env: dict[str, str], url: str, *words: str) -> tuple[float, float, str]:
    """Run `healthqa --db url words...`: its seconds, peak memory (MB) and output."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(HEALTHQA), "--db", url, *words], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"healthqa {' '.join(words)} failed:\n{out}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out


def index_phases(out: str) -> dict[str, float]:
    """The phase times `healthqa index` prints."""
    patterns = {
        "index_s": r"indexed [\d,]+ questions in ([\d.]+) s",
        "related_s": r"kept [\d,]+ related lists in ([\d.]+) s",
        "triage_s": r"triaged [\d,]+ new or changed questions in ([\d.]+) s",
    }
    found = {k: re.search(p, out) for k, p in patterns.items()}
    return {k: float(m.group(1)) for k, m in found.items() if m}


def ask_figures(env: dict[str, str], url: str) -> dict[str, float]:
    out = bench(env, "bench_ask.py", "--db", url, "--data", str(DATA))
    whole = re.search(r"ask \(whole engine\)\s+p50\s+([\d.]+) ms\s+p95\s+([\d.]+) ms", out)
    opened = re.search(r"index opened in ([\d.]+) s", out)
    memory = re.search(r"peak memory while serving: (\d+) MB", out)
    if not (whole and opened and memory):
        sys.exit(f"cannot read bench_ask's output:\n{out}")
    return {
        "ask_p50": float(whole.group(1)),
        "ask_p95": float(whole.group(2)),
        "open_s": float(opened.group(1)),
        "ask_mb": float(memory.group(1)),
    }


def web_figures(env: dict[str, str], url: str) -> dict[str, float]:
    question = "syn-0000000"
    out = bench(env, "bench_web.py", "--db", url, "--workers", "2", "--question", question)
    rows = {
        key: re.search(rf"{name}\s+([\d,]+)\s+[\d.]+\s+([\d.]+)", out)
        for key, name in (
            ("cached", r"healthqa, 2 workers, cached"),
            ("uncached", r"healthqa, 2 workers, uncached"),
            ("nginx", r"nginx, 1 worker, a file"),
        )
    }
    memory = re.search(r"memory per worker after the runs \(resident\): ([\d, .]+) MB", out)
    if not (all(rows.values()) and memory):
        sys.exit(f"cannot read bench_web's output:\n{out}")
    rate = {k: float(m.group(1).replace(",", "")) for k, m in rows.items() if m}
    per_worker = [float(x.replace(",", "")) for x in memory.group(1).split(", ")]
    uncached = rows["uncached"]
    assert uncached is not None
    return {
        "cached_rps": rate["cached"],
        "uncached_rps": rate["uncached"],
        "uncached_p99": float(uncached.group(2)),
        "nginx_rps": rate["nginx"],
        "worker_mb": max(per_worker),
    }


def bench(env: dict[str, str], script: str, *words: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *words],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        sys.exit(f"{script} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def table(work: Path) -> None:
    results = [json.loads(p.read_text()) for p in sorted(work.glob("result-*.json"))]
    for db in sorted({r["db"] for r in results}):
        runs = sorted((r for r in results if r["db"] == db), key=lambda r: r["size"])
        print(f"\n{db}, {os.cpu_count()} cores")
        head = "".join(f"{r['size']:>12,}" for r in runs)
        print(f"{'':30}{head}{'growth':>10}")
        for name, key, fmt in ROWS:
            cells = "".join(f"{fmt.format(r[key]) if key in r else '-':>12}" for r in runs)
            first, last = runs[0].get(key), runs[-1].get(key)
            growth = f"{last / first:9.1f}x" if first and last and len(runs) > 1 else ""
            print(f"{name:30}{cells}{growth:>10}")


if __name__ == "__main__":
    main()
