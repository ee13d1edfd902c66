"""The learned ranking: fitting, the shipped file, and the features it reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from healthqa.search.documents import SearchDoc
from healthqa.search.learned import (
    HAND,
    Group,
    Ranking,
    RankingFileError,
    fit,
    shipped,
    with_hand,
)
from healthqa.search.rank import FEATURES, GROUPS, Candidate, Query, features


def _groups(seed: int = 1) -> list[Group]:
    """Questions whose relevant candidates have a high `focus_hit` and, less reliably, a high
    `semantic`; the other features are noise."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(40):
        rows = rng.normal(size=(30, len(FEATURES)))
        grades = np.zeros(30, dtype=np.int64)
        grades[:3] = (2, 1, 1)
        rows[:3, FEATURES.index("focus_hit")] += 2.0
        rows[:3, FEATURES.index("semantic")] += 0.5
        out.append(Group(rows, grades))
    return out


def test_fitting_finds_the_features_that_order_the_candidates() -> None:
    ranking = fit(_groups())
    weights = dict(zip(FEATURES, ranking.weights, strict=True))
    assert weights["focus_hit"] > weights["semantic"] > 0
    assert max(abs(w) for f, w in weights.items() if f not in ("focus_hit", "semantic")) < 0.3
    for test in _groups(seed=2)[:5]:
        scores = ranking.score(test.rows)
        assert scores[:3].mean() > scores[3:].mean() + 1


def test_a_dropped_group_gets_no_weight() -> None:
    ranking = fit(_groups(), drop=["focus"])
    for name, weight in zip(FEATURES, ranking.weights, strict=True):
        assert (weight == 0) == (GROUPS[name] == "focus")


def test_the_hand_weights_are_todays_formula() -> None:
    row = np.zeros((1, len(FEATURES)))
    for name, value in {"semantic": 0.8, "bm25": 0.5, "focus_hit": 1, "type_prob": 0.4}.items():
        row[0, FEATURES.index(name)] = value
    assert Ranking.hand().score(row)[0] == pytest.approx(0.5 * 0.8 + 0.2 * 0.5 + 0.2 + 0.15 * 0.4)
    assert set(HAND) <= set(FEATURES)


def test_blending_in_the_hand_weights_adds_their_score() -> None:
    """`with_hand`: the fitted score plus beta times the hand score, up to a constant per
    question (so the same order as adding the two); beta 0 is the fitted ranking itself."""
    ranking = fit(_groups())
    rows = _groups(seed=4)[0].rows
    blended = with_hand(ranking, 100.0)
    expected = ranking.score(rows) + 100.0 * Ranking.hand().score(rows)
    offset = blended.score(rows) - expected
    assert np.allclose(offset, offset[0])
    assert np.allclose(with_hand(ranking, 0.0).score(rows), ranking.score(rows))
    huge = with_hand(ranking, 1e6).score(rows)
    assert list(np.argsort(-huge)) == list(np.argsort(-Ranking.hand().score(rows)))


def test_a_ranking_survives_the_file(tmp_path: Path) -> None:
    ranking = fit(_groups())
    ranking.save(tmp_path / "r.json")
    again = Ranking.load(tmp_path / "r.json")
    rows = _groups(seed=3)[0].rows
    assert np.allclose(ranking.score(rows), again.score(rows), atol=1e-4)


def test_the_shipped_ranking_is_for_the_engines_features() -> None:
    assert shipped().weights.shape == (len(FEATURES),)


def test_a_ranking_for_other_features_is_refused(tmp_path: Path) -> None:
    Ranking.hand().save(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    data["features"] = data["features"][1:]
    (tmp_path / "r.json").write_text(json.dumps(data))
    with pytest.raises(RankingFileError, match="r.json: features"):
        Ranking.load(tmp_path / "r.json")
    with pytest.raises(RankingFileError, match="cannot read"):
        Ranking.load(tmp_path / "absent.json")


def _doc(qid: int, focus: str, qtype: str, **extra: object) -> SearchDoc:
    fields: dict[str, object] = {
        "external_id": f"X_{qid}",
        "title": f"What are the treatments for {focus}?",
        "display_title": "",
        "body": "",
        "synonyms": (),
        "topic": "t",
        "source": "GHR",
        "source_name": "GHR",
        "source_url": None,
        "answer": "An answer.",
        "cuis": ("C1",),
        "semantic_group": "Disorders",
    } | extra
    return SearchDoc(qid, focus=focus, question_type=qtype, **fields)  # type: ignore[arg-type]


def test_features_of_a_candidate() -> None:
    docs = {1: _doc(1, "Lupus", "treatment"), 2: _doc(2, "Gout", "information", answer="")}
    query = Query(
        foci={"lupus": 0.8},
        wanted=frozenset({"lupus"}),
        corrected=frozenset(),
        cuis=frozenset({"C1"}),
        groups=frozenset({"Disorders"}),
        type_probs={"treatment": 0.7, "information": 0.3},
        words=frozenset({"lupus", "treatments"}),
    )
    candidates = [Candidate(1, 0.6, 3.0, 0.6, 0.5, 1, 2), Candidate(2, 0.4, 1.5, 0.2, 0.4, 2, 0)]
    rows = dict(zip(FEATURES, features(candidates, docs, query, "Lupus").T, strict=True))
    assert list(rows["bm25"]) == [1.0, 0.5]
    assert list(rows["lexical_rrf"]) == [60 / 62, 0.0]
    assert list(rows["focus_exact"]) == [1, 0] and list(rows["focus_asked"]) == [1, 0]
    assert list(rows["focus_score"]) == [0.8, 0.0]
    assert list(rows["type_prob"]) == [0.7, 0.3] and list(rows["top_type"]) == [1, 0]
    assert list(rows["answered"]) == [1, 0]
    assert list(rows["kind=treatment"]) == [1, 0] and list(rows["source=GHR"]) == [1, 1]
    assert rows["cui_overlap"][0] == 1.0 and candidates[0].focus_hit == "Lupus"
