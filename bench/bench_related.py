"""Related questions over the whole knowledge base: coverage, topicality, spread and time.

    HEALTHQA_HOME=/tmp/kb python bench/bench_related.py --db sqlite:////tmp/kb/full.db

Computes the Related list (k=10) of every published question, or of a deterministic sample
of `--sample` questions (every n-th id) when the first 300 lists say that all would take more
than `--budget` seconds. Prints: articles with fewer than 6 items, the off-topic share (items
that share neither focus nor topic with the page and are below `SIMILAR`), the reasons, the
items per question type, the similarity of what is listed, and the time per article cold and
cached, against a reference run in the same process: the one matrix-vector product over all
question vectors that every cold list needs.
"""

from __future__ import annotations

import argparse
import re
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
from healthqa.related import SIMILAR, RelatedItem, related, similarity  # noqa: E402
from healthqa.search.documents import SearchDoc  # noqa: E402
from healthqa.search.index import SearchIndex  # noqa: E402

K = 10
FEW = 6
PROBE = 300  # lists timed before deciding between all questions and a sample


def names(doc: SearchDoc) -> set[str]:
    """Focus and synonyms, letters and digits only, possessives dropped ("Behcet's Disease" is
    "Behcet disease"): the bench's own notion of "shares a focus" (any name in common), looser
    than and independent of the one `related` uses."""
    names = (re.sub(r"['’]s\b", "", n.lower()) for n in (doc.focus, *doc.synonyms))
    return {"".join(ch for ch in n if ch.isalnum()) for n in names} - {""}


def off_topic(index: SearchIndex, page: SearchDoc, items: list[SearchDoc]) -> list[SearchDoc]:
    """The items that share neither focus nor topic with the page and are below SIMILAR."""
    unrelated = [d for d in items if not names(page) & names(d) and page.topic != d.topic]
    if not unrelated:
        return []
    scores = similarity(index, page.id, [d.id for d in unrelated])
    return [d for d in unrelated if scores[d.id] < SIMILAR]


def ms(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49]:6.2f} ms  p95 {q[94]:6.2f} ms  mean {statistics.fmean(values):6.2f} ms"


def reference_ms(index: SearchIndex, count: int) -> list[float]:
    """The floor of a cold list: one product of a question vector with every stored vector."""
    rows = index.semantic._vectors  # a bench may look inside; the library does so in one place
    times = []
    for n in range(count):
        start = time.perf_counter()
        np.einsum("ij,j->i", rows, rows[n * 7 % len(rows)])
        times.append((time.perf_counter() - start) * 1000)
    return times


class Runs:
    """The lists computed so far, with the time of each cold and each cached call."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.lists: dict[int, list[RelatedItem]] = {}
        self.cold: list[float] = []
        self.cached: list[float] = []

    def run(self, qid: int) -> None:
        if qid in self.lists:
            return
        start = time.perf_counter()
        self.lists[qid] = related(self.index, qid, K)
        self.cold.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        related(self.index, qid, K)
        self.cached.append((time.perf_counter() - start) * 1000)


def choose(ids: list[int], runs: Runs, sample: int, budget: float) -> list[int]:
    """All questions if the lists timed so far say they fit the budget, else every n-th id."""
    estimate = statistics.fmean(runs.cold) / 1000 * len(ids)
    if estimate <= budget:
        print(f"all {len(ids):,} published questions (estimated {estimate:.0f} s)")
        return ids
    step = max(1, len(ids) // sample)
    print(f"a sample: every {step}th id; all {len(ids):,} would take about {estimate:.0f} s")
    return ids[::step][:sample]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--budget", type=float, default=600.0, help="seconds for all lists")
    args = parser.parse_args()
    engine = open_kb(args.db)
    start = time.perf_counter()
    index = open_index(engine, load_settings(database_url=args.db))
    print(f"index opened in {time.perf_counter() - start:.1f} s: {len(index.docs):,} questions")
    ids = sorted(index.docs)
    runs = Runs(index)
    start = time.perf_counter()
    runs.lists[ids[0]] = related(index, ids[0], K)
    print(f"first call (builds the neighbourhood): {time.perf_counter() - start:.2f} s")
    for qid in ids[1 :: max(1, len(ids) // PROBE)][:PROBE]:
        runs.run(qid)
    chosen = choose(ids, runs, args.sample, args.budget)
    start = time.perf_counter()
    for qid in chosen:
        runs.run(qid)
    print(f"computed in {time.perf_counter() - start:.0f} s")
    by_external = {d.external_id: d for d in index.docs.values()}
    report(index, by_external, {q: runs.lists[q] for q in chosen})
    print(f"\ntime per article, {len(runs.cold):,} lists, k={K}, one process on 2 cores")
    print(f"cold (computed)       {ms(runs.cold)}")
    print(f"cached                {ms(runs.cached)}")
    reference = reference_ms(index, 500)
    ratio = statistics.median(runs.cold) / statistics.median(reference)
    print(f"reference: one vector x all vectors  {ms(reference)}  (cold p50 = {ratio:.1f}x)")


def report(
    index: SearchIndex, by_external: dict[str, SearchDoc], lists: dict[int, list[RelatedItem]]
) -> None:
    items = [(q, by_external[i.id], i) for q, found in lists.items() for i in found]
    few = sorted((len(found), q) for q, found in lists.items() if len(found) < FEW)
    print(f"\narticles: {len(lists):,}  items: {len(items):,}")
    sizes = Counter(len(found) for found in lists.values())
    print("items per article:", ", ".join(f"{n}: {c:,}" for n, c in sorted(sizes.items())))
    print(f"articles with < {FEW} items: {len(few):,} ({len(few) / len(lists):.2%})")
    for n, q in few[:8]:
        doc = index.docs[q]
        print(f"   {n} items  {doc.external_id} [{doc.topic}] {doc.title[:70]!r}")
    bad = [
        (q, d)
        for q, found in lists.items()
        for d in off_topic(index, index.docs[q], [by_external[i.id] for i in found])
    ]
    print(f"off-topic items: {len(bad):,} of {len(items):,} ({len(bad) / max(len(items), 1):.3%})")
    for q, d in bad[:8]:
        print(f"   {index.docs[q].title[:50]!r} -> {d.title[:50]!r}")
    reasons = Counter(i.reason for _, _, i in items)
    print("reasons:", ", ".join(f"{r} {n / len(items):.1%}" for r, n in reasons.most_common()))
    per_type = Counter(
        max(Counter(i.question_type for i in found if i.question_type).values(), default=0)
        for found in lists.values()
    )
    print(
        "most items of one question type in a list:",
        ", ".join(f"{n}: {c:,} lists" for n, c in sorted(per_type.items())),
    )
    similarities(index, lists, by_external)


def similarities(
    index: SearchIndex, lists: dict[int, list[RelatedItem]], by_external: dict[str, SearchDoc]
) -> None:
    """How close the listed "same topic" items are: the weakest items a page shows."""
    sample = sorted(lists)[:: max(1, len(lists) // 500)]
    scores = [
        score
        for q in sample
        for score in similarity(
            index, q, [by_external[i.id].id for i in lists[q] if i.reason == "same topic"]
        ).values()
    ]
    if scores:
        q = statistics.quantiles(scores, n=20)
        weak = sum(s < 0.3 for s in scores) / len(scores)
        print(
            f"similarity of 'same topic' items ({len(sample)} lists): p5 {q[0]:.2f}  "
            f"p25 {q[4]:.2f}  p50 {q[9]:.2f}; below 0.3: {weak:.1%}"
        )


if __name__ == "__main__":
    main()
