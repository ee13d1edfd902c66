"""The semantic index: the bfloat16 pass with float32 rescoring against float32 throughout, on
real embeddings of the demo corpus and of LiveQA's questions. bfloat16 is forced on: it is
slower where the processor lacks it, never different."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from healthqa.encoder import Vectors, site_embedder
from healthqa.ingest import jsonl
from healthqa.ingest.liveqa import read as read_liveqa
from healthqa.ingest.liveqa import xml_files
from healthqa.search.semantic import SemanticIndex

DEMO = Path(jsonl.__file__).parent / "demo" / "corpus.jsonl"


@pytest.fixture(scope="module")
def vectors() -> Vectors:
    records, _, _ = jsonl.read(DEMO)
    return site_embedder().embed([r.title for r in records])


def index_of(vectors: Vectors, *, bfloat16: bool) -> SemanticIndex:
    index = SemanticIndex(vectors.shape[1], bfloat16=bfloat16)
    index.upsert(list(range(len(vectors))), vectors)
    return index


def test_the_bfloat16_pass_returns_the_exact_scores_and_order(vectors: Vectors) -> None:
    coarse, exact = index_of(vectors, bfloat16=True), index_of(vectors, bfloat16=False)
    for row in range(len(vectors)):
        query = vectors[[row, (row + 7) % len(vectors)]]  # a message and a question it asks
        assert_same(coarse.search(query, 10), exact.search(query, 10))


def test_equal_scores_are_ordered_by_question_id(vectors: Vectors) -> None:
    """The demo corpus holds questions asked word for word twice: whichever comes first in
    the matrix, the lower id is listed first."""
    twice = np.concatenate([vectors[:5], vectors[:5]])
    index = SemanticIndex(vectors.shape[1], bfloat16=True)
    index.upsert([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], twice)
    assert [i for i, _ in index.search(vectors[0], 2)] == [4, 9]


def test_changed_and_deleted_rows_are_searched_as_they_are_now(vectors: Vectors) -> None:
    index = index_of(vectors[:40], bfloat16=True)
    index.upsert([100, 3], vectors[40:42], delete=[5])
    assert index.search(vectors[40], 1)[0][0] == 100
    assert index.search(vectors[41], 1)[0][0] == 3
    assert 5 not in [i for i, _ in index.search(vectors[5], 41)]
    assert len(index.search(vectors[0], 100)) == 40


def test_on_real_questions_the_bfloat16_pass_misses_nothing(liveqa_dir: Path) -> None:
    """LiveQA's 446 real questions (subject and message) searched by each other, 20 each."""
    texts = [r.title for file in xml_files(liveqa_dir) for r in read_liveqa(file)[0]]
    found = site_embedder().embed(texts)
    coarse, exact = index_of(found, bfloat16=True), index_of(found, bfloat16=False)
    for row in range(len(found)):
        assert_same(coarse.search(found[row], 20), exact.search(found[row], 20))


def _apart(found: list[tuple[int, float]], n: int) -> bool:
    """Whether the n-th score is more than 1e-6 from every other."""
    return all(abs(s - found[n][1]) > 1e-6 for m, (_, s) in enumerate(found) if m != n)


def assert_same(got: list[tuple[int, float]], want: list[tuple[int, float]]) -> None:
    """The same scores in the same order, and the same questions but where two score alike
    to float32's last bits (BLAS sums the products of fewer rows in another order)."""
    assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-6)
    last = want[-1][1]
    distinct = [i for n, (i, s) in enumerate(want) if _apart(want, n) and s > last + 1e-6]
    assert distinct == [i for n, (i, s) in enumerate(got) if _apart(got, n) and s > last + 1e-6]
    assert {i for i, s in got if s > last + 1e-6} == {i for i, s in want if s > last + 1e-6}
