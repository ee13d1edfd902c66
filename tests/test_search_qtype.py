"""Question types: the shipped question-type model and its cues."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from healthqa.search.model_file import ModelFileError
from healthqa.search.qtype import FOCUS_TOKEN, TypeClassifier, masked_words


@pytest.fixture(scope="module")
def types() -> TypeClassifier:
    return TypeClassifier.load()


def top(types: TypeClassifier, text: str, focus: str) -> str:
    start = text.index(focus)
    return types.predict(text, [(start, start + len(focus))])[0][0]


@pytest.mark.parametrize(
    ("text", "focus", "qtype"),
    [
        ("What are the side effects of metformin?", "metformin", "side effects"),
        ("How is psoriasis treated?", "psoriasis", "treatment"),
        ("Can my kids inherit hemochromatosis?", "hemochromatosis", "inheritance"),
        ("What causes gout?", "gout", "causes"),
        ("how do I get rid of warts", "warts", "treatment"),
        ("How much ibuprofen should I take?", "ibuprofen", "usage"),
        ("What are the chances my children get cystic fibrosis?", "cystic fibrosis", "inheritance"),
        ("Where can I find a support group for lupus?", "lupus", "support groups"),
        ("I forgot to take my dose of warfarin", "warfarin", "forget a dose"),
        ("Is there a test for celiac disease?", "celiac disease", "exams and tests"),
        ("How can I prevent shingles?", "shingles", "prevention"),
        ("What is the life expectancy with ALS?", "ALS", "outlook"),
        ("Is hemochromatosis contagious?", "hemochromatosis", "susceptibility"),
        ("Can I take ibuprofen with warfarin?", "ibuprofen", "interactions with medications"),
        ("Is it safe to take sertraline while pregnant?", "sertraline", "precautions"),
    ],
)
def test_the_shipped_model_knows_simple_questions(
    types: TypeClassifier, text: str, focus: str, qtype: str
) -> None:
    assert top(types, text, focus) == qtype


def test_predictions_are_every_type_best_first(types: TypeClassifier) -> None:
    ranked = types.predict("Is hemochromatosis contagious?")
    assert sorted(t for t, _ in ranked) == sorted(types.labels)
    probs = [p for _, p in ranked]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) == pytest.approx(1, abs=0.01)


def test_the_focus_is_masked_so_the_disease_does_not_decide(types: TypeClassifier) -> None:
    assert masked_words("What causes Raynaud's syndrome?", [(12, 30)]) == [
        "what",
        "cause",
        FOCUS_TOKEN,
    ]
    assert (
        top(types, "What causes treatment-resistant depression?", "treatment-resistant depression")
        == "causes"
    )


@pytest.mark.parametrize(
    "text", ["", "?", "🙂" * 50, "<script>alert(1)</script><p>&amp;</p>", "help " * 10_000]
)
def test_odd_input_still_ranks_every_type(types: TypeClassifier, text: str) -> None:
    ranked = types.predict(text, [(0, 3), (2, 1)])
    assert len(ranked) == len(types.labels)


def test_a_broken_model_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="model.npz"):
        TypeClassifier.load(bad)
    np.savez(tmp_path / "empty.npz", words=np.zeros(1))
    with pytest.raises(ModelFileError, match="not a question-type model"):
        TypeClassifier.load(tmp_path / "empty.npz")
