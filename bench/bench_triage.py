"""Time healthqa.triage per message: p50/p95/p99 and throughput, on the labelled set and LiveQA.

    .venv/bin/python bench/bench_triage.py [LIVEQA_DIR] [--repeat N]

LIVEQA_DIR defaults to $HEALTHQA_LIVEQA_DIR, else ../shared/data/liveqa-med-train beside the
repository; LiveQA is skipped with a message if the folder is absent. As a reference the same
messages are also run through every rule over the whole text (no literal prefilter, no windows),
so the ratio shows what the prefilter buys. The budget is 1 ms per message; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from healthqa.triage import default_rules, normalize, triage
from healthqa.triage.context import Context
from healthqa.triage.engine import _flag  # the reference run tries every rule
from healthqa.triage_eval import liveqa_questions, load_messages

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


def report(name: str, texts: Sequence[str], repeat: int) -> None:
    for text in texts[:20]:  # warm up caches
        triage(text)
    samples = timings(triage, texts, repeat)
    reference = timings(every_rule, texts, repeat)
    q = statistics.quantiles(samples, n=100)
    mean = statistics.fmean(samples)
    print(
        f"{name:<14} {len(texts):>5} msgs, mean length {statistics.fmean(map(len, texts)):>5.0f}"
        f" chars | p50 {q[49]:6.0f} µs  p95 {q[94]:6.0f} µs  p99 {q[98]:6.0f} µs"
        f"  max {max(samples):6.0f} µs | {1e6 / mean:8,.0f} msgs/s"
        f" | reference (every rule) mean {statistics.fmean(reference):6.0f} µs,"
        f" {statistics.fmean(reference) / mean:4.1f}x slower"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("liveqa", nargs="?", type=Path, help="LiveQA XML folder")
    parser.add_argument("--repeat", type=int, default=5, help="runs over each set (default 5)")
    args = parser.parse_args()
    start = time.perf_counter()
    default_rules()
    print(f"rules loaded and compiled in {(time.perf_counter() - start) * 1e3:.0f} ms")
    report("labelled set", [m.text for m in load_messages()], args.repeat)
    liveqa = args.liveqa or Path(os.environ.get("HEALTHQA_LIVEQA_DIR", DEFAULT_LIVEQA))
    if liveqa.is_dir():
        report("LiveQA train", [q.text for q in liveqa_questions(liveqa)], args.repeat)
    else:
        print(f"LiveQA skipped: no folder {liveqa} (pass LIVEQA_DIR or set HEALTHQA_LIVEQA_DIR)")


if __name__ == "__main__":
    main()
