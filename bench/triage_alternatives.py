"""The triage detectors that were measured, side by side, on the blind dev set and both tests.

    .venv/bin/python bench/triage_alternatives.py [--no-meaning]

Each alternative is built in this process from the same messages (the learned ones exactly as
`python -m healthqa.triage.train` builds the site's model: training messages, the team's set
and dev; thresholds from out-of-fold chances):

1. rules alone (the first version);
2. rules + context modifiers (facts such as a baby's age raise the level);
3. rules + context + the meaning detector (clause embeddings against `red_flags.toml`);
4. rules + context + the learned model: words and the nearest labelled messages (the site);
5. rules + context + meaning + a learned model that also reads the meaning similarities.

Prints the issue's four figures per alternative and set, and the time per message. The tests
are only scored, never tuned on (dev trains the learned ones: its figures are in-sample).
Needs scikit-learn; (3) and (5) embed every clause of every message with MiniLM (a few
minutes on 2 cores); `--no-meaning` skips them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

from healthqa.triage import triage
from healthqa.triage.engine import Findings, MeaningChoice, detect
from healthqa.triage.evaluate import LabelledMessage, Scores, load_blind
from healthqa.triage.learned import Model
from healthqa.triage.result import Level
from healthqa.triage.train import build

LEVELS = (Level.ROUTINE, Level.URGENT, Level.EMERGENCY)


def found(findings: Findings, families: Callable[[str], bool] = lambda f: True) -> int:
    return max((f.level.rank for f in findings.flags if families(f.family)), default=0)


def rules_alone(findings: Findings) -> int:
    return found(findings, lambda family: family != "context")


def learned(model: Model, meaning: MeaningChoice) -> Callable[[LabelledMessage], int]:
    """The whole triage with `model`, as the site runs it (embedding the message once)."""
    return lambda message: triage(message.text, meaning=meaning, model=model).level.rank


def scores(levels: Sequence[int], messages: Sequence[LabelledMessage]) -> Scores:
    confusion = {a: {b: 0 for b in LEVELS} for a in LEVELS}
    for level, message in zip(levels, messages, strict=True):
        confusion[message.level][LEVELS[level]] += 1
    return Scores(len(messages), confusion)


def run(meaning: bool) -> None:
    halves = {name: load_blind(name) for name in ("dev", "test", "test2")}
    plain = {name: [detect(m.text) for m in ms] for name, ms in halves.items()}
    levels: dict[str, dict[str, list[int]]] = {
        "rules alone": {n: [rules_alone(f) for f in fs] for n, fs in plain.items()},
        "rules + context": {n: [found(f) for f in fs] for n, fs in plain.items()},
    }
    site = learned(build().model, None)
    levels["rules + context + learned (site)"] = {
        n: [site(m) for m in ms] for n, ms in halves.items()
    }
    if meaning:
        read = {n: [detect(m.text, meaning="default") for m in ms] for n, ms in halves.items()}
        levels["rules + context + meaning"] = {n: [found(f) for f in fs] for n, fs in read.items()}
        both = learned(build(meaning="default").model, "default")
        levels["... + learned reading meaning"] = {
            n: [both(m) for m in ms] for n, ms in halves.items()
        }
    print(f"{'alternative':<36} {'set':<5} E recall | U>=U | R->E | R>=U")
    for name, by_set in levels.items():
        for half, messages in halves.items():
            figures = scores(by_set[half], messages).figures()
            values = " | ".join(f"{v:.3f}" for v in figures.values())
            print(f"{name:<36} {half:<5} {values}")
    timing(halves["dev"], meaning)


def timing(messages: Sequence[LabelledMessage], meaning: bool) -> None:
    runs: dict[str, Callable[[str], object]] = {
        "rules + context": lambda t: triage(t, model=None),
        "rules + context + learned (site)": triage,
    }
    if meaning:
        runs["rules + context + meaning"] = lambda t: triage(t, meaning="default", model=None)
    for name, call in runs.items():
        samples = []
        for message in messages:
            start = time.perf_counter()
            call(message.text)
            samples.append((time.perf_counter() - start) * 1e3)
        q = statistics.quantiles(samples, n=100)
        print(f"time {name:<34} p50 {q[49]:6.2f} ms  p99 {q[98]:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-meaning", action="store_true", help="skip the embedding detectors")
    run(meaning=not parser.parse_args().no_meaning)


if __name__ == "__main__":
    main()
