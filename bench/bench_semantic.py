"""The semantic index's search, float32 throughout against the bfloat16 pass with float32
rescoring (`healthqa.search.semantic`), on the whole base, in the same process.

    python bench/bench_semantic.py --db sqlite:///path/full.db [--data ../shared/data]

Queries are the 446 LiveQA training messages, embedded as `ask` embeds them (the whole message
and each question it asks, searched together), k=100 as `ask` fetches. Prints how often the two
return the same questions and scores, how many rows the bfloat16 pass rescored, and the times.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_ask import liveqa_arguments, percentiles, print_rows  # noqa: E402

from healthqa.config import load_settings  # noqa: E402
from healthqa.kb import open_index, open_kb  # noqa: E402
from healthqa.search.ask import _nearest, clean  # noqa: E402
from healthqa.search.evaluate import liveqa_queries  # noqa: E402
from healthqa.search.message import read_questions  # noqa: E402
from healthqa.search.semantic import (  # noqa: E402
    SemanticIndex,
    _dot_bfloat16,
    _within_error,
    fast_bfloat16,
)


def main() -> None:
    args, folder = liveqa_arguments(__doc__)
    engine = open_kb(args.db)
    index = open_index(engine, load_settings(database_url=args.db))
    ids, vectors = index.semantic.rows()
    exact, coarse = (
        SemanticIndex(index.semantic.dim, bfloat16=False),
        SemanticIndex(index.semantic.dim, bfloat16=True),
    )
    exact.upsert(ids.tolist(), vectors)
    coarse.upsert(ids.tolist(), vectors)
    queries = {}
    for q in liveqa_queries(folder):
        text = clean(q.text)[0]
        queries[text], _ = _nearest(index, text, read_questions(text, index.focus.match(text)), 1)
    texts = list(queries)
    same = rescored = 0
    sizes = []
    for t in texts:
        want, got = exact.search(queries[t], 100), coarse.search(queries[t], 100)
        same += [i for i, _ in want] == [i for i, _ in got]
        rescored += {i for i, _ in want} == {i for i, _ in got}
        sizes.append(len(_within_error(_dot_bfloat16(coarse._coarse, queries[t]), 100)))
    print(
        f"{len(ids):,} vectors; {len(texts)} LiveQA messages, k=100; "
        f"this processor multiplies bfloat16 in hardware: {fast_bfloat16()}"
    )
    print(
        f"same 100 questions: {rescored}/{len(texts)}; same order too: {same}/{len(texts)}; "
        f"rows rescored in float32: median {statistics.median(sizes):.0f}, max {max(sizes)}"
    )
    rows = {}
    for _ in range(2):  # the runs take turns, so a change of load hits both
        rows["float32 (every vector)"] = percentiles(lambda t: exact.search(queries[t], 100), texts)
        rows["bfloat16 pass + float32 rescoring"] = percentiles(
            lambda t: coarse.search(queries[t], 100), texts
        )
    print_rows(rows, "float32 (every vector)", "float32 p50")


if __name__ == "__main__":
    main()
