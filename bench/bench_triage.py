"""Time healthqa.triage per message: p50/p95/p99 and throughput, on the blind dev set and LiveQA.

    .venv/bin/python bench/bench_triage.py [LIVEQA_DIR] [--repeat N] [--meaning]

LIVEQA_DIR defaults to $HEALTHQA_LIVEQA_DIR, else ../shared/data/liveqa-med-train beside the
repository; LiveQA is skipped with a message if the folder is absent. Each set is timed four
ways in the same process: the whole triage as the ask flow runs it (rules, context, learned
model, with the message vector `ask` already made); the same alone, embedding the message once;
the rules and context alone; and, as the reference, every rule over the whole text (no literal
prefilter, no windows), so the ratios show what the learned model and the embedding cost.
`--meaning` also times the meaning detector (one sentence-model call per clause batch), the
alternative that was measured and not kept. The budget is 15 ms at p99; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from healthqa.encoder import Encoded, site_embedder
from healthqa.formats.liveqa import read_questions
from healthqa.triage import default_rules, normalize, triage
from healthqa.triage.context import Context
from healthqa.triage.engine import _flag  # the reference run tries every rule
from healthqa.triage.evaluate import load_blind

REPO = Path(__file__).resolve().parents[1]
DEFAULT_LIVEQA = REPO.parent / "shared" / "data" / "liveqa-med-train"


def every_rule(text: str) -> None:
    """The reference: all rules, each scanned over the whole message."""
    rules = default_rules()
    ctx = Context(normalize(text, rules.spelling), rules.cues)
    for rule in rules.rules:
        _flag(rule, ctx, [(0, len(ctx.text))])


def timings(run: Callable[[str], object], texts: Sequence[str], repeat: int) -> list[float]:
    """Microseconds per call, every message `repeat` times (garbage collection paused)."""
    samples: list[float] = []
    gc.disable()
    try:
        for _ in range(repeat):
            for text in texts:
                start = time.perf_counter()
                run(text)
                samples.append((time.perf_counter() - start) * 1e6)
    finally:
        gc.enable()
    return samples


def quantiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    mean = statistics.fmean(samples)
    return (
        f"p50 {q[49]:7.0f} µs  p95 {q[94]:7.0f} µs  p99 {q[98]:7.0f} µs  max {max(samples):7.0f} µs"
        f" | {1e6 / mean:7,.0f} msgs/s"
    )


def report(name: str, texts: Sequence[str], repeat: int, meaning: bool) -> None:
    embedder = site_embedder()
    asked = {
        text: Encoded(embedder.name, embedder.embed([text], batch_size=1)[0]) for text in texts
    }
    runs: dict[str, Callable[[str], object]] = {
        "with ask's vector (site)": lambda text: triage(text, vector=asked[text]),
        "alone (embeds once)": triage,
        "rules + context": lambda text: triage(text, model=None),
        "every rule (reference)": every_rule,
    }
    if meaning:
        runs["with meaning detector"] = lambda text: triage(text, meaning="default")
    print(
        f"{name}: {len(texts)} messages, mean length {statistics.fmean(map(len, texts)):.0f} chars"
    )
    means = {}
    for label, run in runs.items():
        for text in texts[:20]:  # warm up caches (and load the model once)
            run(text)
        samples = timings(run, texts, repeat)
        means[label] = statistics.fmean(samples)
        print(f"  {label:<26} {quantiles(samples)}")
    site = means["with ask's vector (site)"]
    ratios = ", ".join(f"{k} {v / site:.2f}x" for k, v in means.items() if v is not site)
    print(f"  ratios to triage with ask's vector (mean): {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("liveqa", nargs="?", type=Path, help="LiveQA XML folder")
    parser.add_argument("--repeat", type=int, default=5, help="runs over each set (default 5)")
    parser.add_argument("--meaning", action="store_true", help="also time the meaning detector")
    args = parser.parse_args()
    start = time.perf_counter()
    default_rules()
    print(f"rules loaded and compiled in {(time.perf_counter() - start) * 1e3:.0f} ms")
    report("blind dev set", [m.text for m in load_blind("dev")], args.repeat, args.meaning)
    liveqa = args.liveqa or Path(os.environ.get("HEALTHQA_LIVEQA_DIR", DEFAULT_LIVEQA))
    if liveqa.is_dir():
        report("LiveQA train", [q.text for q in read_questions(liveqa)], args.repeat, args.meaning)
    else:
        print(f"LiveQA skipped: no folder {liveqa} (pass LIVEQA_DIR or set HEALTHQA_LIVEQA_DIR)")


if __name__ == "__main__":
    main()
