"""The lexical path side by side: healthqa's tantivy index, bm25s and SQLite FTS5, on the
same corpus (the base's questions) and the same queries (446 LiveQA messages).

    python bench/bench_lexical.py --db sqlite:///path/full.db [--data ../shared/data]

Prints build time, query latency and focus@1 (does the top question address the annotated
focus) for each, and the ratio of healthqa's lexical p50 to bm25s's.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bm25s

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_ask import liveqa_arguments  # noqa: E402  (this folder is on the path)

from healthqa.kb import open_kb  # noqa: E402
from healthqa.search.documents import SearchDoc, load_docs  # noqa: E402
from healthqa.search.evaluate import focus_matches, liveqa_queries  # noqa: E402
from healthqa.search.lexical import LexicalIndex, terms  # noqa: E402

Search = Callable[[list[str]], int | None]


def text_of(doc: SearchDoc) -> str:
    return " ".join((doc.title, doc.focus, *doc.synonyms, doc.body, doc.answer))


def build_bm25s(docs: list[SearchDoc]) -> Search:
    model = bm25s.BM25()
    model.index([terms(text_of(d)) for d in docs], show_progress=False)

    def search(words: list[str]) -> int | None:
        known = [w for w in words if w in model.vocab_dict]
        if not known:
            return None
        found, _ = model.retrieve([known], k=1, show_progress=False, n_threads=1)
        return int(found[0][0])

    return search


def build_fts5(docs: list[SearchDoc]) -> Search:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE f USING fts5(title, focus, body, answer, tokenize='porter')")
    con.executemany(
        "INSERT INTO f(rowid, title, focus, body, answer) VALUES (?, ?, ?, ?, ?)",
        [
            (i, d.title, " ".join((d.focus, *d.synonyms)), d.body, d.answer)
            for i, d in enumerate(docs)
        ],
    )

    def search(words: list[str]) -> int | None:
        if not words:
            return None
        match = " OR ".join(f'"{w}"' for w in words)
        row = con.execute(
            "SELECT rowid FROM f WHERE f MATCH ? ORDER BY bm25(f, 1.0, 1.5, 0.5, 0.4) LIMIT 1",
            (match,),
        ).fetchone()
        return int(row[0]) if row else None

    return search


def build_tantivy(docs: list[SearchDoc]) -> Search:
    index = LexicalIndex.create(Path(tempfile.mkdtemp()) / "lexical", docs)
    position = {d.id: i for i, d in enumerate(docs)}

    def search(words: list[str]) -> int | None:
        hits = index.search(words, 1)
        return position[hits[0][0]] if hits else None

    return search


def main() -> None:
    args, folder = liveqa_arguments(__doc__)
    docs = [d for d in load_docs(open_kb(args.db)) if d.source != "LiveQA"]
    queries = [(terms(q.text), q.foci) for q in liveqa_queries(folder) if q.foci]
    print(f"{len(docs):,} questions, {len(queries)} LiveQA queries")
    p50s = {}
    for name, build in (
        ("healthqa (tantivy)", build_tantivy),
        ("bm25s", build_bm25s),
        ("SQLite FTS5", build_fts5),
    ):
        start = time.perf_counter()
        search = build(docs)
        built = time.perf_counter() - start
        times, hits = [], 0
        for words, foci in queries:
            t = time.perf_counter()
            top = search(words)
            times.append((time.perf_counter() - t) * 1000)
            hits += top is not None and focus_matches(docs[top], foci)
        q = statistics.quantiles(times, n=100)
        p50s[name] = q[49]
        print(
            f"{name:<20} build {built:5.1f} s  p50 {q[49]:6.2f} ms  p95 {q[94]:6.2f} ms  "
            f"focus@1 {hits / len(queries):.3f}"
        )
    ratio = p50s["healthqa (tantivy)"] / p50s["bm25s"]
    print(f"healthqa lexical p50 / bm25s p50 = {ratio:.2f} (target <= 3)")


if __name__ == "__main__":
    main()
