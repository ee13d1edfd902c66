"""`ask` latency on the whole knowledge base, query embedding included.

    python bench/bench_ask.py --db sqlite:///path/full.db [--data ../shared/data]

Queries are the 446 LiveQA training messages (subject + message, as people wrote them). The
base must hold MedQuAD (healthqa import medquad; healthqa index). Reference runs in the same
process: the query embedding alone and the lexical index alone, so the ratios show where the
time goes. Also prints the process's memory while serving.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from healthqa.config import load_settings  # noqa: E402
from healthqa.kb import open_index, open_kb  # noqa: E402
from healthqa.search.ask import ask, clean  # noqa: E402
from healthqa.search.evaluate import liveqa_queries  # noqa: E402
from healthqa.search.lexical import terms  # noqa: E402


def percentiles(run: Callable[[str], object], texts: list[str]) -> dict[str, float]:
    for text in texts[:10]:  # warm up
        run(text)
    times = []
    for text in texts:
        start = time.perf_counter()
        run(text)
        times.append((time.perf_counter() - start) * 1000)
    q = statistics.quantiles(times, n=100)
    return {"p50": q[49], "p95": q[94], "p99": q[98], "mean": statistics.fmean(times)}


def print_rows(rows: dict[str, dict[str, float]], reference: str, called: str) -> None:
    """One line of percentiles per run, each with its p50 as a share of `reference`'s."""
    whole = rows[reference]["p50"]
    width = max(map(len, rows)) + 2
    for name, r in rows.items():
        print(
            f"{name:<{width}}p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
            f"p99 {r['p99']:6.1f} ms  mean {r['mean']:6.1f} ms  "
            f"({r['p50'] / whole:4.2f} of {called})"
        )


def liveqa_arguments(description: str | None) -> tuple[argparse.Namespace, Path]:
    """The --db and --data arguments of a benchmark over the LiveQA messages, and their
    folder; exits saying the run is skipped where the folder is absent."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", required=True)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    folder: Path = args.data / "liveqa-med-train"
    if not folder.is_dir():
        sys.exit(f"skipped: {folder} is absent")
    return args, folder


def main() -> None:
    args, folder = liveqa_arguments(__doc__)
    engine = open_kb(args.db)
    start = time.perf_counter()
    index = open_index(engine, load_settings(database_url=args.db))
    print(f"index opened in {time.perf_counter() - start:.1f} s: {len(index.docs):,} questions")
    texts = [q.text for q in liveqa_queries(folder)]
    rows = {
        "ask (whole engine)": percentiles(lambda t: ask(index, t, 10), texts),
        "query embedding only": percentiles(lambda t: index.embedder.embed([clean(t)[0]]), texts),
        "lexical index only": percentiles(
            lambda t: index.lexical.search(terms(clean(t)[0]), 100), texts
        ),
    }
    print(f"{len(texts)} LiveQA messages, k=10, 2 cores")
    print_rows(rows, "ask (whole engine)", "ask p50")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory while serving: {rss:.0f} MB")


if __name__ == "__main__":
    main()
