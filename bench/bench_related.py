"""Related lists over the whole knowledge base: coverage, reasons, spread and time.

    HEALTHQA_HOME=/tmp/kb python bench/bench_related.py --db sqlite:////tmp/kb/healthqa.db

Builds and keeps every article's list (what `healthqa index` does; it writes the kept lists
into --db), then prints: items per article and articles under 6, the reasons, the most items of
one question type, and the time of a list computed alone (cold, in memory), in a block (as the
build does) and read back from the database (what a cold page does), against a reference run in
the same process: the one product of a question vector with every stored vector that a list
computed alone needs. How often an item is off topic is judged blind, not here: run
`healthqa eval related`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from healthqa.config import load_settings  # noqa: E402
from healthqa.kb import open_index, open_kb  # noqa: E402
from healthqa.related import stored  # noqa: E402
from healthqa.related.lists import PAGE_K, RelatedItem, _neighbourhood  # noqa: E402
from healthqa.search.index import SearchIndex  # noqa: E402

FEW = 6
TIMED = 500  # lists timed one by one


def ms(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49]:7.3f} ms  p95 {q[94]:7.3f} ms  mean {statistics.fmean(values):7.3f} ms"


def timed(calls: list[int], call: object) -> list[float]:
    times = []
    for qid in calls:
        start = time.perf_counter()
        call(qid)  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return times


def reference(index: SearchIndex, count: int) -> list[float]:
    """One product of a question vector with every stored vector."""
    _, rows = index.semantic.rows()
    return timed(list(range(count)), lambda n: np.einsum("ij,j->i", rows, rows[n * 7 % len(rows)]))


def report(lists: dict[int, list[RelatedItem]]) -> None:
    items = [i for found in lists.values() for i in found]
    sizes = Counter(len(found) for found in lists.values())
    few = sum(c for n, c in sizes.items() if n < FEW)
    print(f"\narticles: {len(lists):,}  items: {len(items):,}")
    print("items per article:", ", ".join(f"{n}: {c:,}" for n, c in sorted(sizes.items())))
    print(f"articles with < {FEW} items: {few:,} ({few / len(lists):.2%})")
    reasons = Counter(i.reason for i in items)
    print("reasons:", ", ".join(f"{r} {n / len(items):.1%}" for r, n in reasons.most_common()))
    per_type = Counter(
        max(Counter(i.question_type for i in found if i.question_type).values(), default=0)
        for found in lists.values()
    )
    print(
        "most items of one question type in a list:",
        ", ".join(f"{n}: {c:,} lists" for n, c in sorted(per_type.items())),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    engine = open_kb(args.db)
    index = open_index(engine, load_settings(database_url=args.db))
    start = time.perf_counter()
    neighbourhood = _neighbourhood(index)
    print(f"{len(index.docs):,} questions; neighbourhood in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    built = stored.build_all(index)
    seconds = time.perf_counter() - start
    print(f"kept {built:,} lists in {seconds:.0f} s ({seconds / built * 1000:.2f} ms a list)")
    ids = sorted(index.docs)
    report({q: stored.read(engine, q) or [] for q in ids})
    sample = ids[:: max(1, len(ids) // TIMED)][:TIMED]
    print(f"\ntime per article, {len(sample)} lists, k={PAGE_K}, one process on 2 cores")
    print(
        f"computed alone (cold)   {ms(timed(sample, lambda q: neighbourhood._block([q], PAGE_K)))}"
    )
    print(f"read from the database  {ms(timed(sample, lambda q: stored.read(engine, q)))}")
    floor = reference(index, TIMED)
    print(f"reference: one vector x all vectors   {ms(floor)}")


if __name__ == "__main__":
    main()
