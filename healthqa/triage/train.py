"""Train the learned detector (`model.npz`) from the training messages; tune its thresholds on
the blind set's dev half. The test half is never read here.

    .venv/bin/python -m healthqa.triage.train [--c 0.3] [--emergency-recall 0.97]
        [--urgent-recall 0.95] [--out healthqa/triage/model.npz]

Needs scikit-learn (a dev dependency); the site itself only reads the weights with numpy.
The thresholds are the highest that keep the dev recall at the given levels, so the model errs
to safety by construction; the dev figures are therefore tuned, the test figures are not.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from healthqa.triage.engine import MeaningChoice, detect
from healthqa.triage.evaluate import DATA, LabelledMessage, load_blind, load_team
from healthqa.triage.learned import MODEL_PATH, Model, features, scale

TRAIN_SET = DATA / "train.jsonl"
MIN_COUNT = 2  # a feature seen in fewer training messages is left out


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
    """Two balanced logistic regressions: emergency, and urgent or higher."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    features = [e.features for e in examples]
    counts = Counter(f for row in features for f in row)
    names = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    index = {name: i for i, name in enumerate(names)}
    rows = [r for r, row in enumerate(features) for f in row if f in index]
    cols = [index[f] for row in features for f in row if f in index]
    known = np.bincount(rows, minlength=len(features))
    values = [scale(int(known[r])) for r in rows]
    matrix = csr_matrix((values, (rows, cols)), shape=(len(features), len(names)))
    weights = np.zeros((len(names), 2))
    bias = np.zeros(2)
    for column, least in enumerate((2, 1)):
        model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        model.fit(matrix, labels >= least)
        weights[:, column] = model.coef_[0]
        bias[column] = model.intercept_[0]
    return Model(index, weights, bias, (0.5, 0.5, 0.5))


GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)


def tune(
    model: Model, examples: list[Example], labels: NDArray[np.int64], recalls: tuple[float, float]
) -> Model:
    """Thresholds at which the whole triage (the other detectors, then the model) flags at
    least `recalls` of the dev emergencies as emergencies and of the dev urgent messages as
    urgent or higher, raising as few other messages as it can: for emergencies, the pair of
    thresholds (nothing found / urgent found) with the fewest routine messages raised to
    emergency, then the fewest urgent ones; for urgent, the highest threshold that does."""
    chances = np.array([model.probabilities(e.features) for e in examples])
    found = np.array([e.found for e in examples])
    emergency = labels == 2
    best: tuple[float, float, float, float] | None = None
    for low in GRID:
        for high in GRID:
            raised = (found < 2) & (chances[:, 0] >= np.where(found == 1, high, low))
            level = np.where(raised, 2, found)
            if (level[emergency] == 2).mean() < recalls[0]:
                continue
            cost = ((level == 2) & (labels == 0)).sum() + 0.3 * ((level == 2) & (labels == 1)).sum()
            if best is None or cost < best[0]:
                best = (cost, float(low), float(high), 0.0)
    _, low, high = best[:3] if best else (0.0, 0.5, 0.5)
    level = np.where((found < 2) & (chances[:, 0] >= np.where(found == 1, high, low)), 2, found)
    urgent_threshold = 0.5
    for value in GRID[::-1]:
        flagged = np.where((level == 0) & (chances[:, 1] >= value), 1, level)
        if (flagged[labels == 1] >= 1).mean() >= recalls[1]:
            urgent_threshold = float(value)
            break
    return Model(model.index, model.weights, model.bias, (low, high, urgent_threshold))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--train", type=Path, default=TRAIN_SET)
    parser.add_argument("--c", type=float, default=3.0)
    parser.add_argument("--emergency-recall", type=float, default=0.97)
    parser.add_argument("--urgent-recall", type=float, default=0.95)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    meaning: MeaningChoice = None  # measured: the meaning detector's signals did not help
    # The team's set trains too: it is the only one rich in short, plain messages, and without
    # it the model turned most short urgent messages into emergencies.
    train = load_blind("train", args.train) + load_team()
    dev = load_blind("dev")
    labels = np.array([m.level.rank for m in train])
    model = fit(featurize(train, meaning), labels, args.c)
    dev_labels = np.array([m.level.rank for m in dev])
    model = tune(
        model, featurize(dev, meaning), dev_labels, (args.emergency_recall, args.urgent_recall)
    )
    model.save(args.out)
    print(
        f"{len(train)} training messages, {len(model.index)} features, "
        f"thresholds {model.thresholds}"
    )


if __name__ == "__main__":
    main()
