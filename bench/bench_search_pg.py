"""`ask` on the PostgreSQL search backend (tsvector + pgvector in the database) beside the
embedded one (tantivy + vectors in memory), in the same process, on the same questions.

    python bench/bench_search_pg.py                                  # the demo corpus
    python bench/bench_search_pg.py --from sqlite:////tmp/relkb/healthqa.db   # a whole base

The PostgreSQL is a throwaway PostgreSQL 16 with pgvector (pgserver's, tests/pg.py). With
--from, the base is copied into it with `migrate-db`'s copy (the triggers fill the full-text
column as rows arrive) and the PostgreSQL index is built from the copied embedding cache; the
embedded index is opened on the source in a temporary folder. Queries: the 446 LiveQA training
messages where ../shared/data has them, else the demo's own titles. Prints p50/p95 of ask and
of each path alone, the ratio to the embedded backend, and how often both put the same
question first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from healthqa.config import load_settings  # noqa: E402
from healthqa.encoder import Vectors, shared_embedder  # noqa: E402
from healthqa.ingest import import_demo  # noqa: E402
from healthqa.kb import open_kb  # noqa: E402
from healthqa.search.ask import ask, clean  # noqa: E402
from healthqa.search.backends import LexicalSearch  # noqa: E402
from healthqa.search.backends.postgres import (  # noqa: E402
    RANK,
    RARE_WORDS,
    ROW_BUDGET,
    PostgresLexical,
    lexical_query,
)
from healthqa.search.evaluate import focus_matches, liveqa_queries  # noqa: E402
from healthqa.search.index import SearchIndex  # noqa: E402
from healthqa.search.lexical import terms  # noqa: E402
from healthqa.store.copy import copy_database  # noqa: E402
from tests.pg import create_database, pgvector_bindir, throwaway_postgres  # noqa: E402


def percentiles(
    runs: tuple[Callable[[str], object], Callable[[str], object]], texts: list[str]
) -> list[dict[str, float]]:
    """p50 and p95 of each run, measured in turn on each text so that the other work on the
    machine weighs on both alike."""
    for text in texts[:10]:  # warm up
        for run in runs:
            run(text)
    times: list[list[float]] = [[], []]
    for text in texts:
        for run, kept in zip(runs, times, strict=True):
            start = time.perf_counter()
            run(text)
            kept.append((time.perf_counter() - start) * 1000)
    quantiles = [statistics.quantiles(kept, n=100) for kept in times]
    return [{"p50": q[49], "p95": q[94]} for q in quantiles]


def timed(label: str, run: Callable[[], SearchIndex]) -> SearchIndex:
    start = time.perf_counter()
    index = run()
    print(f"{label}: {time.perf_counter() - start:.1f} s, {len(index.docs):,} questions")
    return index


def open_search(url: str, folder: Path) -> SearchIndex:
    engine = open_kb(url)
    return SearchIndex.open(engine, load_settings(database_url=url, index_dir=folder))


def queries(data: Path, index: SearchIndex) -> list[str]:
    folder = data / "liveqa-med-train"
    if folder.is_dir():
        return [q.text for q in liveqa_queries(folder)]
    return [d.title for d in index.docs.values()]


def paths(index: SearchIndex, vectors: dict[str, Vectors]) -> dict[str, Callable[[str], object]]:
    """`ask`, then each of its two searches alone (the query embedded beforehand)."""
    return {
        "ask": lambda t: ask(index, t, 10),
        "lexical, k=100": lambda t: index.lexical.search(terms(clean(t)[0]), 100),
        "semantic, k=100": lambda t: index.semantic.search(vectors[t], 100),
    }


def compare(embedded: SearchIndex, pg: SearchIndex, texts: list[str]) -> None:
    print(f"{len(texts)} queries, k=10, 2 cores")
    embedded_texts = embedded.embedder.embed([clean(t)[0] for t in texts])
    vectors = {t: v.reshape(1, -1) for t, v in zip(texts, embedded_texts, strict=True)}
    ours, theirs = paths(embedded, vectors), paths(pg, vectors)
    for name in ours:
        e, p = percentiles((ours[name], theirs[name]), texts)
        print(
            f"{name:<16} embedded p50 {e['p50']:6.1f} ms p95 {e['p95']:6.1f} ms   "
            f"postgresql p50 {p['p50']:6.1f} ms p95 {p['p95']:6.1f} ms   "
            f"({p['p50'] / e['p50']:4.2f}x, {p['p95'] / e['p95']:4.2f}x)"
        )
    same = sum(ask(embedded, t, 1).matches[0].id == ask(pg, t, 1).matches[0].id for t in texts)
    print(f"same first match on both backends: {same}/{len(texts)} ({same / len(texts):.1%})")


# Rankings of the full-text path, beside tantivy's BM25: (rank expression, rarest words
# matched on, most questions they may match together). Normalisation 0 is none, 1 divides by
# 1 + log(length), 2 by the length (PostgreSQL's manual, "Ranking Search Results").
RANKINGS: dict[str, tuple[str, int, int | None]] = {
    f"ts_rank, norm 1, 4, {ROW_BUDGET:,} rows (used)": (RANK, RARE_WORDS, ROW_BUDGET),
    "ts_rank, norm 1, 4, no budget": (RANK, RARE_WORDS, None),
    "ts_rank, norm 1, 4, 2,000 rows": (RANK, RARE_WORDS, 2_000),
    "ts_rank, norm 1, 8": (RANK, 8, ROW_BUDGET),
    "ts_rank, norm 0, 4": (RANK.replace(":norm", "0"), RARE_WORDS, ROW_BUDGET),
    "ts_rank, norm 2, 4": (RANK.replace(":norm", "2"), RARE_WORDS, ROW_BUDGET),
    "ts_rank_cd, norm 1, 4": (RANK.replace("ts_rank", "ts_rank_cd"), RARE_WORDS, ROW_BUDGET),
}


def rankings(embedded: SearchIndex, pg: SearchIndex, data: Path) -> None:
    """focus@1 of the lexical path alone (does its first MedQuAD question address the
    annotated focus) on the LiveQA messages, as bench/bench_lexical.py counts it; the base's
    LiveQA questions themselves are passed over."""
    folder = data / "liveqa-med-train"
    if not folder.is_dir():
        return
    queries = [(terms(clean(q.text)[0]), q.foci) for q in liveqa_queries(folder) if q.foci]
    searches: dict[str, LexicalSearch] = {"tantivy BM25 (embedded)": embedded.lexical}
    searches |= {n: PostgresLexical(pg.engine, lexical_query(*r)) for n, r in RANKINGS.items()}
    for name, lexical in searches.items():
        hits, times = 0, []
        for words, foci in queries:
            start = time.perf_counter()
            found = lexical.search(words, 20)
            times.append((time.perf_counter() - start) * 1000)
            first = next((pg.docs[i] for i, _ in found if pg.docs[i].source != "LiveQA"), None)
            hits += first is not None and focus_matches(first, foci)
        q = statistics.quantiles(times, n=100)
        print(
            f"{name:<26} focus@1 {hits / len(queries):.3f}  p50 {q[49]:6.1f} ms  "
            f"p95 {q[94]:6.1f} ms  ({len(queries)} messages with a focus)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="source", help="a base to copy (default: the demo)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-search-pg-") as name:
        run(args.source, args.data, Path(name))


def run(source_url: str | None, data: Path, folder: Path) -> None:
    settings = load_settings()
    shared_embedder(settings.model_path, settings.cache_dir)  # loaded once, before any timing
    source = source_url or f"sqlite:///{folder / 'demo.db'}"
    if not source_url:
        import_demo(open_kb(source))
    with throwaway_postgres(pgvector_bindir()) as admin:
        target = create_database(admin, "bench")
        start = time.perf_counter()
        copy_database(open_kb(source), open_kb(target))
        print(f"copied into PostgreSQL (full-text by trigger): {time.perf_counter() - start:.1f} s")
        pg = timed("PostgreSQL index built", lambda: open_search(target, folder / "pg"))
        timed("PostgreSQL index opened again", lambda: open_search(target, folder / "pg"))
        embedded = timed("embedded index built", lambda: open_search(source, folder / "e"))
        compare(embedded, pg, queries(data, embedded))
        rankings(embedded, pg, data)


if __name__ == "__main__":
    main()
