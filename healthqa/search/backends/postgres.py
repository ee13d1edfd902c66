"""The PostgreSQL backend: full-text search and vectors in the database, shared by every web
server of a site (tables of migrations 0009 and 0012).

Lexical: `search_lexemes`, kept by triggers in the writer's own transaction. A query's words
are stemmed by PostgreSQL; the questions matching any of its RARE_WORDS rarest words (by
`search_terms`, the document counts of the last build) or any word unknown there (new since,
or misspelt: they match few questions, and must not crowd out the real words) are ranked by
`ts_rank` over all its words, with weights A 1.0 (title, focus, synonyms), B 0.5 (the asker's
words), C 0.4 (the answer) and normalisation 1 (divided by 1 + log of the length, the job of
BM25's b). PostgreSQL ranks every matching row, with no pruning like tantivy's: matching on
every word of a LiveQA message (23 on average) meant ranking a third of MedQuAD, ~1 s a query
with ts_rank_cd. bench/bench_search_pg.py, MedQuAD + LiveQA (47,955 questions), the 446 LiveQA
messages, the lexical path alone (focus@1: its first MedQuAD question is about the annotated
focus; 2 busy cores):

    ranking, matched on                focus@1   p50      p95
    tantivy BM25 (embedded backend)    0.435     0.8 ms   2.5 ms
    ts_rank, norm 1, 4 rarest (used)   0.361     2.7 ms   16.1 ms
    ts_rank, norm 1, 8 rarest          0.399     10.9 ms  47.4 ms
    ts_rank, norm 0 / 2, 4 rarest      0.274 / 0.325
    ts_rank_cd, norm 1, 4 rarest       0.305     8.2 ms   51.8 ms

The rarest words are matched on only while together they match at most ROW_BUDGET questions
(the rarest always): the ranking is the same on MedQuAD (47,457 questions, LiveQA messages:
focus@1 0.379 with and without it), and the work stays bounded as the words' counts grow
(the lexical path alone on the synthetic bases, 446 messages: p95 10 ms at 50k, 43 ms at
200k without it, 17 ms with it).

Cover density (ts_rank_cd) is both slower and worse here: questions are short and a message's
words are scattered. 8 words match better but cost 4x, which grows with the base; within `ask`
the lexical path is one signal of four, and ask's first match agrees with the embedded
backend's on 402 of the 446 messages. `ask` normalises lexical
scores by the best candidate, so only their order and ratios matter.

Semantic: `search_vectors` (HNSW, cosine), one row per published question with the cache key
of its text; whoever first sees a change (a server's refresh, a first build) writes it.
`search_state` records the base (watermark) and model the vectors are complete for, so a worker
whose base matches starts without reading every question.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, TextClause, text

from healthqa.encoder import Embedder, Vectors
from healthqa.progress import progress
from healthqa.search.documents import Documents, SearchDoc, StoredDocs, Watermark
from healthqa.search.semantic import embed_cached

DIM = 384  # the column is vector(384): all-MiniLM-L6-v2
WEIGHTS = "{0.1, 0.4, 0.5, 1.0}"  # D, C, B, A, as ts_rank takes them
NORMALISATION = 1  # rank / (1 + log(document length))
MAX_EF_SEARCH = 1_000  # pgvector's ceiling for hnsw.ef_search
WRITE_BATCH = 500  # vectors per statement while building
BULK_FROM = 1_000  # from this many vectors to write, the HNSW index is made after them
# For the HNSW build: the graph must fit, else it builds far slower ("hnsw graph no longer
# fits into maintenance_work_mem"). MiniLM's graph takes ~2 KB a row; 3 KB leaves room.
BUILD_MEMORY_MB = 1_024
BUILD_MEMORY_PER_ROW = 3 * 1_024
VECTOR_INDEX = """CREATE INDEX IF NOT EXISTS ix_search_vectors ON search_vectors
    USING hnsw (vector vector_cosine_ops)"""
# One advisory lock key for "building the search index of this database" (any stable int64).
BUILD_LOCK = zlib.crc32(b"healthqa search index build")

RARE_WORDS = 4  # a query matches on its rarest words, and is ranked on all of them
# ... as long as they match at most this many questions together (the rarest always): every
# matching row is ranked, and the words' counts grow with the base (lexical p95 10 ms at 50k
# synthetic questions, 43 ms at 200k, without it)
ROW_BUDGET = 5_000
RANK = "ts_rank(CAST(:weights AS real[]), lexemes, everything.query, :norm)"


def lexical_query(
    rank: str = RANK, rare: int = RARE_WORDS, budget: int | None = ROW_BUDGET
) -> TextClause:
    """The full-text search, ranked by the SQL expression `rank` (of `lexemes` and
    `everything.query`), matched on the `rare` rarest words, of which only those that keep
    the questions matched (by `search_terms`) within `budget`, the rarest always
    (bench/bench_search_pg.py compares others)."""
    within = "" if budget is None else f" AND (n = 1 OR running <= {int(budget)})"
    return text(
        f"""WITH words AS (
            SELECT w.lexeme, coalesce(t.documents, 0) AS documents
            FROM unnest(tsvector_to_array(to_tsvector('english', :words))) AS w (lexeme)
            LEFT JOIN search_terms t ON t.lexeme = w.lexeme),
        rarest AS (
            SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS query
            FROM (
                SELECT lexeme FROM words WHERE documents = 0
                UNION ALL SELECT lexeme FROM (
                    SELECT lexeme,
                        row_number() OVER (ORDER BY documents, lexeme) AS n,
                        sum(documents) OVER (ORDER BY documents, lexeme) AS running
                    FROM words WHERE documents > 0) AS known
                WHERE n <= {int(rare)}{within}
            ) AS r),
        everything AS (
            SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS query FROM words)
        SELECT question_id, {rank} AS score
        FROM search_lexemes, rarest, everything
        WHERE lexemes @@ rarest.query
        ORDER BY score DESC, question_id LIMIT :k"""
    )


LEXICAL_QUERY = lexical_query()
# The k nearest of each of the query's vectors (HNSW, one index scan each), the best cosine
# per question, in one round trip.
NEAREST_QUERY = text(
    """SELECT n.question_id, max(n.score)
    FROM unnest(CAST(:vectors AS vector[])) AS q (vector),
    LATERAL (SELECT s.question_id, 1 - (s.vector <=> q.vector) AS score FROM search_vectors s
             ORDER BY s.vector <=> q.vector LIMIT :k) AS n
    GROUP BY n.question_id"""
)
# The cosine of each question with each of the query's vectors, in their order, in one
# round trip.
COSINES_QUERY = text(
    """SELECT s.question_id, array_agg(1 - (s.vector <=> q.vector) ORDER BY q.n)
    FROM search_vectors s, unnest(CAST(:vectors AS vector[])) WITH ORDINALITY AS q (vector, n)
    WHERE s.question_id = ANY(:ids) GROUP BY s.question_id"""
)
# Only for a question still published: one hidden since it was read must not come back.
UPSERT_VECTOR = text(
    """INSERT INTO search_vectors (question_id, key, vector)
    SELECT id, :key, CAST(:vector AS vector) FROM questions
    WHERE id = :id AND status = 'published'
    ON CONFLICT (question_id) DO UPDATE SET key = excluded.key, vector = excluded.vector
    WHERE search_vectors.key <> excluded.key"""
)


class SearchSchemaError(Exception):
    """The model's vectors do not fit the database's vector column."""


class PostgresLexical:
    def __init__(self, engine: Engine, query: TextClause = LEXICAL_QUERY) -> None:
        self.engine = engine
        self.query = query

    def search(self, words: Sequence[str], k: int) -> list[tuple[int, float]]:
        if not words:
            return []
        params = {"weights": WEIGHTS, "norm": NORMALISATION, "words": " ".join(words), "k": k}
        with self.engine.connect() as conn:
            return [(int(i), float(s)) for i, s in conn.execute(self.query, params)]

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM search_lexemes")) or 0)


_SAVE_STATE = text(
    "INSERT INTO search_state (model, deletions, last_update)"
    " VALUES (:model, :deletions, CAST(:last_update AS timestamptz))"
)
_ADVANCE_STATE = text(
    "UPDATE search_state SET deletions = :deletions,"
    " last_update = CAST(:last_update AS timestamptz)"
    " WHERE model = :model AND deletions = :old_deletions"
    " AND last_update IS NOT DISTINCT FROM CAST(:old_last_update AS timestamptz)"
)


class PostgresSemantic:
    in_database = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._rows: tuple[NDArray[np.int64], Vectors] | None = None

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        params = {"vectors": [_literal(v) for v in query.reshape(-1, DIM)], "k": k}
        with self.engine.connect() as conn:
            # HNSW returns at most ef_search rows: ask for as many as wanted (this transaction)
            ef = str(min(max(k, 40), MAX_EF_SEARCH))
            conn.execute(text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": ef})
            best = [(int(i), float(s)) for i, s in conn.execute(NEAREST_QUERY, params)]
        return sorted(best, key=lambda item: (-item[1], item[0]))[:k]

    def cosines(self, queries: Vectors, ids: Sequence[int]) -> dict[int, Vectors]:
        distinct, back = _distinct_rows(queries)
        params = {"vectors": [_literal(v) for v in distinct], "ids": list(ids)}
        with self.engine.connect() as conn:
            found = conn.execute(COSINES_QUERY, params).all()
        return {int(i): np.array(s, dtype=np.float32)[back] for i, s in found}

    def rows(self) -> tuple[NDArray[np.int64], Vectors]:
        """Read from the database on first use after a change seen by this process: only
        related lists need every vector, and at a million questions they are 1.5 GB."""
        if self._rows is None:
            with self.engine.connect() as conn:
                found = conn.execute(
                    text("SELECT question_id, CAST(vector AS real[]) FROM search_vectors"
                         " ORDER BY question_id")
                ).all()  # fmt: skip
            ids = np.array([r[0] for r in found], dtype=np.int64)
            vectors = np.array([r[1] for r in found], dtype=np.float32).reshape(-1, DIM)
            self._rows = (ids, vectors)
        return self._rows

    def changed(self) -> None:
        self._rows = None

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM search_vectors")) or 0)


class PostgresBackend:
    name = "postgresql"

    def __init__(self, engine: Engine, path: Path, embedder: Embedder) -> None:
        if embedder.dim != DIM:
            raise SearchSchemaError(
                f"the model {embedder.name} makes vectors of {embedder.dim} numbers; the "
                f"database's search_vectors column holds {DIM} (migration 0009)"
            )
        self.engine = engine
        self.embedder = embedder
        self.lexical = PostgresLexical(engine)
        self.semantic = PostgresSemantic(engine)
        self._mark: Watermark | None = None  # what this process's vectors last caught up with

    @contextmanager
    def builder_lock(self) -> Iterator[None]:
        """PostgreSQL's advisory lock, held by one connection: one builder across every server
        of the site; released when the connection ends, also when its process dies."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": BUILD_LOCK})
            conn.commit()  # hold the lock, not a transaction, while others work
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": BUILD_LOCK})
                conn.commit()

    def documents(self) -> Documents:
        return StoredDocs(self.engine)

    def load(self, docs: Documents, mark: Watermark, *, rebuild: bool) -> None:
        """Write the vectors missing or stale (their text changed, or another model), drop
        those of questions no longer searchable. The lexemes are the triggers' job; a rebuild
        remakes them too. Where `search_state` says the vectors are those of this base and
        model (the last build or catch-up saw `mark`), nothing is read: a worker starts at
        once, whatever the size of the base."""
        self._mark = mark
        if not rebuild and self._state() == self._as_state(mark) and self._has_terms():
            self.semantic.changed()
            return
        with self.engine.begin() as conn:  # until this build completes, the others scan too
            conn.execute(text("DELETE FROM search_state"))
        if rebuild:
            with self.engine.begin() as conn:
                conn.execute(text("SELECT count(search_index_question(id)) FROM questions"))
        have = self._keys()
        keys, stale = {}, []
        for d in docs.values():  # read in batches: only the stale stay in memory
            keys[d.id] = self.embedder.key(d.embed_text)
            if have.get(d.id) != keys[d.id]:
                stale.append(d)
        # Inserting into HNSW costs ms a row, building it after the rows ~0.4 ms (48k rows,
        # bench/bench_search_pg.py): a first build or a new model writes first, indexes after.
        bulk = len(stale) >= BULK_FROM and 2 * len(stale) > len(docs)
        if bulk:
            with self.engine.begin() as conn:
                conn.execute(text("DROP INDEX IF EXISTS ix_search_vectors"))
        with progress("embedding questions", total=len(stale)) as advance:
            for start in range(0, len(stale), WRITE_BATCH * 4):
                self._write(stale[start : start + WRITE_BATCH * 4], keys, advance)
        self._delete(sorted(set(have) - set(keys)))
        if rebuild or stale or not self._has_terms():
            self._count_terms()
        with self.engine.begin() as conn:  # also after a bulk build that was killed half-way
            memory = max(BUILD_MEMORY_MB, len(keys) * BUILD_MEMORY_PER_ROW // 2**20)
            conn.execute(text(f"SET LOCAL maintenance_work_mem = '{memory}MB'"))
            conn.execute(text(VECTOR_INDEX))
            conn.execute(_SAVE_STATE, self._as_state(mark))
        self.semantic.changed()

    def apply(self, changed: list[SearchDoc], gone: list[int], mark: Watermark) -> None:
        keys = {d.id: self.embedder.key(d.embed_text) for d in changed}
        self._write(changed, keys)
        self._delete(gone)  # the trigger did, when the status changed: this is for certainty
        self.semantic.changed()
        # what this process caught up from is what the state says: it holds the new mark now
        # (another worker's catch-up, or a change, moved it already: left for the next scan)
        before, self._mark = self._mark, mark
        if before is not None:
            old = {"old_deletions": before.deletions, "old_last_update": before.last_update}
            with self.engine.begin() as conn:
                conn.execute(_ADVANCE_STATE, self._as_state(mark) | old)

    def _state(self) -> dict[str, object] | None:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT model, deletions, last_update FROM search_state"))
            found = row.mappings().first()
        return None if found is None else dict(found)

    def _as_state(self, mark: Watermark) -> dict[str, object]:
        return {
            "model": self.embedder.name,
            "deletions": mark.deletions,
            "last_update": mark.last_update,
        }

    def _write(
        self,
        docs: list[SearchDoc],
        keys: dict[int, str],
        advance: Callable[[int], None] = lambda n: None,
    ) -> None:
        vectors = embed_cached(self.engine, self.embedder, [d.embed_text for d in docs])
        rows = [
            {"id": d.id, "key": keys[d.id], "vector": _literal(v)}
            for d, v in zip(docs, vectors, strict=True)
        ]
        for start in range(0, len(rows), WRITE_BATCH):
            with self.engine.begin() as conn:
                conn.execute(UPSERT_VECTOR, rows[start : start + WRITE_BATCH])
        advance(len(docs))

    def _delete(self, ids: list[int]) -> None:
        if ids:
            with self.engine.begin() as conn:
                conn.execute(
                    text("DELETE FROM search_vectors WHERE question_id = ANY(:ids)"), {"ids": ids}
                )

    def _has_terms(self) -> bool:
        with self.engine.connect() as conn:
            return conn.scalar(text("SELECT 1 FROM search_terms LIMIT 1")) is not None

    def _count_terms(self) -> None:
        """The document count of every lexeme (0.7 s at 48k questions). Made at a build, not
        kept up to date: the counts only choose which words to match on."""
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM search_terms"))
            conn.execute(
                text(
                    "INSERT INTO search_terms (lexeme, documents) SELECT word, ndoc"
                    " FROM ts_stat('SELECT lexemes FROM search_lexemes')"
                )
            )

    def _keys(self) -> dict[int, str]:
        with self.engine.connect() as conn:
            return dict(conn.execute(text("SELECT question_id, key FROM search_vectors")).all())


def _distinct_rows(vectors: Vectors) -> tuple[Vectors, NDArray[np.intp]]:
    """The distinct rows of `vectors` in their first order, and for each row of `vectors` its
    place among them: an ask's vectors repeat the message where it is its one question (a few
    rows: np.unique(axis=0) took 1 ms for them)."""
    rows = vectors.reshape(-1, DIM)
    place: dict[bytes, int] = {}
    back = np.array([place.setdefault(r.tobytes(), len(place)) for r in rows], dtype=np.intp)
    firsts = [back.tolist().index(n) for n in range(len(place))]
    return rows[firsts], back


_FORMAT = "[" + ",".join(["%.9g"] * DIM) + "]"  # 9 digits: a float32 exactly


def _literal(vector: Vectors) -> str:
    """pgvector's text form, '[x,y,...]' (no driver adapter needed)."""
    return _FORMAT % tuple(vector.tolist())
