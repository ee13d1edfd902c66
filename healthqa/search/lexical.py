"""The lexical index: BM25 over a question's title, focus and synonyms, the asker's words and
the start of its answer, with tantivy.

Why tantivy (bench/bench_lexical.py: 47,509 MedQuAD + demo questions, 446 LiveQA messages,
2 cores, one run):

    engine        build   p50 query   p95 query   focus@1 of the lexical path alone
    tantivy       1.3 s   0.49 ms     1.5 ms      0.435
    bm25s         1.7 s   1.75 ms     2.3 ms      0.379   (one field, no boosts)
    SQLite FTS5   0.6 s   11.2 ms     32.3 ms     0.522   (OR-query, porter, column weights)

tantivy is 3.6x faster than bm25s and 23x faster than FTS5, adds and deletes single documents
without a rebuild (bm25s cannot), and runs the same beside SQLite and PostgreSQL (FTS5 is
SQLite-only), so there is one code path. FTS5 ranks the focus first more often on its own;
inside the fused engine the lexical path is one signal of four (engine focus@1 0.693), and
per-field weighting like FTS5's is the next thing to try here.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import tantivy

from healthqa.search.documents import SearchDoc

# Field boosts: a match on what the question is about counts more than one in its answer.
LEXICAL_SCHEMA = 2  # bump when the fields change: indexes on disk are then rebuilt
BOOSTS = {"title": 1.0, "focus": 1.5, "body": 0.5, "answer": 0.4}
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    """a about after again all also am an and any are as at be been before being but by can
    could did do does doing done for from get got had has have having he her here hers him his
    how i if in into is it its just me more most my myself no nor not of on once only or other
    our out over own please same she should so some such than thank thanks that the their them
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours hi hello dear""".split()
)


def terms(text: str) -> list[str]:
    """Lower-case content words of `text` (no stop words), in order, without repeats."""
    seen: dict[str, None] = {}
    for word in WORD.findall(text.lower()):
        if word not in STOPWORDS and len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("qid", stored=True)
    # Deleting by a u64 term fails silently from Python (the int arrives as i64): a raw text
    # key is what deletions match on.
    builder.add_text_field("key", tokenizer_name="raw")
    for field in BOOSTS:
        builder.add_text_field(field, tokenizer_name="en_stem")
    return builder.build()


class LexicalIndex:
    """A tantivy index in `path`, keyed by question id."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._index = tantivy.Index(_schema(), path=str(path), reuse=True)

    @classmethod
    def create(cls, path: Path, docs: Iterable[SearchDoc]) -> LexicalIndex:
        """A new index holding exactly `docs` (anything at `path` is replaced)."""
        shutil.rmtree(path, ignore_errors=True)
        index = cls(path)
        index.upsert(docs)
        return index

    def upsert(self, docs: Iterable[SearchDoc], delete: Sequence[int] = ()) -> None:
        """Add or replace `docs`, drop the questions in `delete`; visible on return."""
        writer = self._index.writer(heap_size=64_000_000, num_threads=1)
        for qid in delete:
            writer.delete_documents_by_term("key", str(qid))
        for doc in docs:
            writer.delete_documents_by_term("key", str(doc.id))
            writer.add_document(_document(doc))
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()

    def search(self, words: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The `k` best (question id, BM25 score) for content words `words`, best first."""
        if not words:
            return []
        query, _errors = self._index.parse_query_lenient(
            " ".join(words), list(BOOSTS), field_boosts=BOOSTS
        )
        searcher = self._index.searcher()
        hits = searcher.search(query, k).hits
        return [(int(searcher.doc(addr)["qid"][0]), float(score)) for score, addr in hits]

    def __len__(self) -> int:
        return int(self._index.searcher().num_docs)


def _document(doc: SearchDoc) -> tantivy.Document:
    out = tantivy.Document()
    out.add_unsigned("qid", doc.id)
    out.add_text("key", str(doc.id))
    out.add_text("title", doc.title)
    out.add_text("focus", " ".join((doc.focus, *doc.synonyms)))
    out.add_text("body", doc.body)
    out.add_text("answer", doc.answer)
    return out
