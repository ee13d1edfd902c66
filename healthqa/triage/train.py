"""Train the learned detector (`model.npz`) and choose its thresholds. The test sets of the
blind evaluation are never read here.

    .venv/bin/python -m healthqa.triage.train [--c 3] [--emergency-recall 0.98]
        [--urgent-recall 0.95] [--out healthqa/triage/model.npz]

It learns from the training messages, the team's set and the blind dev half: word weights,
and the messages' sentence vectors and levels for the nearest-neighbour vote. The thresholds
are chosen on out-of-fold chances (each message scored by a model trained without it), so that
the recalls asked for hold on messages the model has not seen: the model errs to safety by
construction. Tuning the thresholds on the dev half alone fitted them to it (dev 3.9% routine
flagged emergency, the first test 9.0%). Needs scikit-learn (a dev dependency); the site
itself only reads the weights with numpy.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from healthqa.encoder import Vectors, site_embedder
from healthqa.triage.engine import MeaningChoice, detect
from healthqa.triage.evaluate import DATA, LabelledMessage, load_blind, load_team
from healthqa.triage.learned import MODEL_PATH, Model, Neighbours, features, scale

TRAIN_SET = DATA / "train.jsonl"
MIN_COUNT = 2  # a feature seen in fewer training messages is left out
GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)
FOLDS = 5


@dataclass(frozen=True)
class Example:
    """One message's features and the level the other detectors gave it."""

    features: set[str]
    found: int  # rank of the highest flag of the rules, meaning detector and context


def featurize(messages: Sequence[LabelledMessage], meaning: MeaningChoice) -> list[Example]:
    """The features of each message, exactly as `learned_flag` computes them at run time."""
    out = []
    for message in messages:
        found = detect(message.text, meaning=meaning)
        row = features(found.text, found.flags, found.facts.names, found.signals)
        out.append(Example(row, max((f.level.rank for f in found.flags), default=0)))
    return out


def fit(examples: list[Example], labels: NDArray[np.int64], c: float) -> Model:
    """Two balanced logistic regressions over the words: emergency, and urgent or higher."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    rows_of = [e.features for e in examples]
    counts = Counter(f for row in rows_of for f in row)
    names = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    index = {name: i for i, name in enumerate(names)}
    rows = [r for r, row in enumerate(rows_of) for f in row if f in index]
    cols = [index[f] for row in rows_of for f in row if f in index]
    known = np.bincount(rows, minlength=len(rows_of))
    values = [scale(int(known[r])) for r in rows]
    matrix = csr_matrix((values, (rows, cols)), shape=(len(rows_of), len(names)))
    weights = np.zeros((len(names), 2))
    bias = np.zeros(2)
    for column, least in enumerate((2, 1)):
        model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        model.fit(matrix, labels >= least)
        weights[:, column] = model.coef_[0]
        bias[column] = model.intercept_[0]
    return Model(index, weights, bias, (0.5, 0.5, 0.5))


def out_of_fold(
    examples: list[Example], labels: NDArray[np.int64], vectors: Vectors, c: float, encoder: str
) -> NDArray[np.float64]:
    """Each message's chances from a model that did not see it (stratified 5-fold), its
    neighbours drawn from the other folds only."""
    from sklearn.model_selection import StratifiedKFold

    chances = np.zeros((len(examples), 2))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    for seen, unseen in folds.split(np.zeros(len(labels)), labels):
        words = fit([examples[i] for i in seen], labels[seen], c)
        near = Neighbours(encoder, vectors[seen], labels[seen].astype(np.int8))
        model = Model(words.index, words.weights, words.bias, words.thresholds, near)
        for i in unseen:
            chances[i] = model.probabilities(examples[i].features, vectors[i])
    return chances


def tune(
    chances: NDArray[np.float64],
    found: NDArray[np.int64],
    labels: NDArray[np.int64],
    recalls: tuple[float, float],
) -> tuple[float, float, float]:
    """Thresholds at which the whole triage (the other detectors, then the model) flags at
    least `recalls` of the emergencies as emergencies and of the urgent messages as urgent or
    higher, raising as few other messages as it can: for emergencies, the pair of thresholds
    (nothing found / urgent found) with the fewest routine messages raised to emergency, then
    the fewest urgent ones; for urgent, the highest threshold that does."""
    emergency = labels == 2
    best: tuple[float, float, float] | None = None
    for low in GRID:
        for high in GRID:
            level = raised(chances, found, float(low), float(high))
            if (level[emergency] == 2).mean() < recalls[0]:
                continue
            cost = ((level == 2) & (labels == 0)).sum() + 0.3 * ((level == 2) & (labels == 1)).sum()
            if best is None or cost < best[0]:
                best = (float(cost), float(low), float(high))
    low, high = (best[1], best[2]) if best else (0.5, 0.5)
    level = raised(chances, found, low, high)
    for value in GRID[::-1]:
        flagged = np.where((level == 0) & (chances[:, 1] >= value), 1, level)
        if (flagged[labels == 1] >= 1).mean() >= recalls[1]:
            return low, high, float(value)
    return low, high, 0.5


def raised(
    chances: NDArray[np.float64], found: NDArray[np.int64], low: float, high: float
) -> NDArray[np.int64]:
    """The level after the model's emergency raise (thresholds: nothing found, urgent found)."""
    needed = np.where(found == 1, high, low)
    return np.where((found < 2) & (chances[:, 0] >= needed), 2, found)


def _share(hit: NDArray[np.bool_], of: NDArray[np.bool_]) -> str:
    return f"{hit.sum() / max(of.sum(), 1):.3f}"


def figures(level: NDArray[np.int64], labels: NDArray[np.int64]) -> str:
    """The issue's four figures, as a line."""
    share = _share
    return (
        f"emergency recall {share((level == 2) & (labels == 2), labels == 2)}, "
        f"urgent flagged urgent or higher {share((level >= 1) & (labels == 1), labels == 1)}, "
        f"routine flagged emergency {share((level == 2) & (labels == 0), labels == 0)}, "
        f"routine flagged urgent or higher {share((level >= 1) & (labels == 0), labels == 0)}"
    )


@dataclass(frozen=True)
class Trained:
    model: Model
    report: list[str]  # out-of-fold figures, for the reader


def build(
    train_path: Path = TRAIN_SET,
    c: float = 3.0,
    recalls: tuple[float, float] = (0.98, 0.95),
    meaning: MeaningChoice = None,
) -> Trained:
    """The model and its thresholds, from the training messages, the team's set and dev.

    The team's set trains too: it is the only one rich in short, plain messages, and without it
    the model turned most short urgent messages into emergencies. The dev half trains as well;
    its figures are out-of-fold, from models that did not see it. `meaning` adds the meaning
    detector's similarities as features (measured in bench/triage_alternatives.py, not kept).
    """
    dev = load_blind("dev")
    briefed = load_blind("train", train_path)
    team = load_team()
    messages = briefed + team + dev
    labels = np.array([m.level.rank for m in messages])
    examples = featurize(messages, meaning)
    found = np.array([e.found for e in examples])
    embedder = site_embedder()
    vectors = embedder.embed([m.text for m in messages])
    chances = out_of_fold(examples, labels, vectors, c, embedder.name)
    # Thresholds from the messages written to the evaluation's brief (not MQP's or the team's
    # plain questions, whose easy routine cases would make the false alarms look rarer).
    like_test = np.array(
        [not m.id.startswith("MQ_") for m in briefed] + [False] * len(team) + [True] * len(dev)
    )
    low, high, urgent = tune(chances[like_test], found[like_test], labels[like_test], recalls)
    fitted = fit(examples, labels, c)
    near = Neighbours(embedder.name, vectors, labels.astype(np.int8))
    model = Model(fitted.index, fitted.weights, fitted.bias, (low, high, urgent), near)
    level = raised(chances, found, low, high)
    level = np.where((level == 0) & (chances[:, 1] >= urgent), 1, level)
    is_dev = np.arange(len(messages)) >= len(messages) - len(dev)
    report = [
        f"{len(messages)} messages, {len(model.index)} features, thresholds {model.thresholds}",
        f"out of fold, all: {figures(level, labels)}",
        f"out of fold, written to the brief: {figures(level[like_test], labels[like_test])}",
        f"out of fold, dev: {figures(level[is_dev], labels[is_dev])}",
    ]
    return Trained(model, report)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--train", type=Path, default=TRAIN_SET)
    parser.add_argument("--c", type=float, default=3.0)
    parser.add_argument("--emergency-recall", type=float, default=0.98)
    parser.add_argument("--urgent-recall", type=float, default=0.95)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    recalls = (args.emergency_recall, args.urgent_recall)
    trained = build(args.train, args.c, recalls)
    trained.model.save(args.out)
    print("\n".join(trained.report))


if __name__ == "__main__":
    main()
