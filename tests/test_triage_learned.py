"""The learned detector (healthqa.triage.learned): features, the packaged model, and flags
that say in words what they read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from healthqa.encoder import Encoded, site_embedder
from healthqa.triage import Level, triage
from healthqa.triage.engine import detect
from healthqa.triage.learned import (
    Model,
    Neighbours,
    default_model,
    grams,
    learned_flag,
    load_model,
)


def test_grams_mark_negated_words_and_stop_at_punctuation() -> None:
    found = grams("no rash, fever and a stiff neck")
    assert {"not_rash", "fever", "stiff neck", "no not_rash"} <= found
    assert "not_fever" not in found and "not_rash fever" not in found


def test_packaged_model_loads_and_has_three_thresholds() -> None:
    model = default_model()
    assert model is not None and len(model.index) > 1000
    assert len(model.thresholds) == 3 and all(0 < t < 1 for t in model.thresholds)


def test_model_round_trip(tmp_path: Path) -> None:
    model = Model(
        {"a": 0, "b c": 1}, np.array([[1.0, 0.5], [-1.0, 0.2]]), np.zeros(2), (0.4, 0.6, 0.5)
    )
    model.save(tmp_path / "m.npz")
    again = load_model(tmp_path / "m.npz")
    assert again.index == model.index and again.thresholds == model.thresholds
    assert again.probabilities({"a"}) == model.probabilities({"a"})


def test_model_raises_only_above_what_was_found() -> None:
    model = Model({"x": 0}, np.array([[5.0, 5.0]]), np.zeros(2), (0.5, 0.9, 0.5))
    certain = model.probabilities({"x"})
    assert model.decide(certain, Level.ROUTINE) is Level.EMERGENCY
    assert model.decide((0.8, 0.9), Level.URGENT) is None  # needs 0.9 above an urgent flag
    assert model.decide((0.1, 0.6), Level.ROUTINE) is Level.URGENT
    assert model.decide(certain, Level.EMERGENCY) is None


def test_learned_flag_names_the_words_it_read() -> None:
    model = default_model()
    assert model is not None
    text = "saying goodbye to everyone tonight, I have saved up my pills and written the letters"
    result = triage(text)
    assert result.level is Level.EMERGENCY
    flag = next(f for f in result.flags if f.rule.startswith("learned.") or f.crisis)
    assert flag.matched
    assert result.advice is not None and result.advice.crisis_line


def test_no_model_means_no_learned_flag() -> None:
    findings = detect("my chest hurts a bit")
    assert all(
        not f.rule.startswith("learned.") for f in triage("my chest hurts a bit", model=None).flags
    )
    model = Model({}, np.zeros((0, 2)), np.array([-10.0, -10.0]), (0.5, 0.5, 0.5))
    assert learned_flag(model, findings, findings.flags) is None


def test_packaged_model_is_what_the_training_command_writes(tmp_path: Path) -> None:
    """model.npz is data made by code: retraining from the committed messages reproduces it."""
    from healthqa.triage.train import main

    main(["--out", str(tmp_path / "model.npz")])
    again, shipped = load_model(tmp_path / "model.npz"), default_model()
    assert shipped is not None and again.neighbours and shipped.neighbours
    assert again.index == shipped.index
    assert np.allclose(again.weights, shipped.weights, atol=1e-6)
    # sentence vectors may differ in the last bits from one machine to another
    assert np.allclose(again.neighbours.vectors, shipped.neighbours.vectors, atol=2e-3)
    assert np.allclose(again.thresholds, shipped.thresholds, atol=0.021)


def test_a_vector_from_ask_is_reused_not_embedded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ask` embeds the message once; triage reuses that vector when it is the same model's."""
    embedder = site_embedder()
    text = "my 3 week old is very sleepy and not interested in feeding"
    encoded = Encoded(embedder.name, embedder.embed([text], batch_size=1)[0])
    calls: list[int] = []
    real = embedder.embed

    def counted(texts: Sequence[str], batch_size: int = 64) -> Any:
        calls.append(len(texts))
        return real(texts, batch_size)

    monkeypatch.setattr(embedder, "embed", counted)
    with_vector = triage(text, vector=encoded)
    assert calls == []
    without = triage(text)
    assert calls == [1]
    assert with_vector.to_dict() == without.to_dict()
    triage(text)  # the same text again: its vector is remembered
    assert calls == [1]
    other_model = Encoded("another-model@128", encoded.vector)
    triage(text + " today", vector=other_model)  # vectors of another model are not compared
    assert calls == [1, 1]


def test_neighbours_vote_by_closeness() -> None:
    vectors = np.eye(3, dtype=np.float32)
    near = Neighbours(
        "m", np.repeat(vectors, 10, axis=0), np.repeat(np.array([2, 1, 0], np.int8), 10)
    )
    emergency, urgent = near.chances(np.array([1.0, 0.0, 0.0], np.float32))
    assert emergency == pytest.approx(1.0) and urgent == pytest.approx(1.0)
    emergency, urgent = near.chances(np.array([0.0, 0.0, 1.0], np.float32))
    assert emergency == pytest.approx(0.0, abs=1e-6)
