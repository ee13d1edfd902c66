"""Time healthqa.reading per answer and print the reading levels of MedQuAD's answers.

    .venv/bin/python bench/bench_reading.py [MEDQUAD_ZIP] [--every N] [--db URL]

MEDQUAD_ZIP defaults to ../shared/data/MedQuAD-master.zip beside the repository (read, never
copied); `--every N` takes every Nth answer. Printed, from one process: what the first grade
costs (importing textstat, which imports NLTK, and reading the CMU dictionary); the cost of
grading each answer once, as an article page or an ask does the first time it shows the answer
(the same text as web.service grades: the answer's blocks, one a line); the cost of grading it
again (the memo); and, as the reference, splitting the answer into the paragraphs and lists
the page shows (web.text.blocks), which every uncached article render does anyway. Then the
grades: percentiles, the share of each band, and the median per source.

With `--db` (a base holding MedQuAD, indexed: `healthqa index`; HEALTHQA_HOME as when it was
indexed), the 446 LiveQA questions are asked: what reading adds to an ask (looking up and
grading the first answer of each of the 10 matches, then the tie-break), the first time and
again, against the engine's own ask with triage as the reference. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from bench_triage import timings  # microseconds per call; this folder is on the path

from healthqa import reading
from healthqa.config import load_settings
from healthqa.ingest.medquad import read
from healthqa.kb import open_index, open_kb
from healthqa.search.evaluate import liveqa_queries
from healthqa.web import service, text
from healthqa.web.site import Site

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ZIP = REPO.parent / "shared" / "data" / "MedQuAD-master.zip"
DEFAULT_LIVEQA = REPO.parent / "shared" / "data" / "liveqa-med-train"


def graded_text(body: str) -> str:
    """An imported answer as web.service grades it: its blocks, one a line."""
    return "\n".join(text.lines(body))


def quantiles(samples: list[float], reference: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    ratio = statistics.fmean(samples) / statistics.fmean(reference)
    return (
        f"p50 {q[49]:7.0f} µs  p95 {q[94]:7.0f} µs  p99 {q[98]:7.0f} µs  max {max(samples):7.0f}"
        f" µs  mean {statistics.fmean(samples):6.0f} µs  = {ratio:5.2f} x reference"
    )


def startup() -> None:
    start = time.perf_counter()
    reading._textstat()
    imported = time.perf_counter() - start
    start = time.perf_counter()
    reading._syllables()
    loaded = time.perf_counter() - start
    reading._syllables.cache_clear()
    tracemalloc.start()
    reading._syllables()
    size = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    print(
        f"first grade: import textstat (and NLTK) {imported:.2f} s, CMU dictionary {loaded:.2f} s"
    )
    print(f"CMU dictionary as kept: {size:.1f} MB per process")


def distribution(answers: Sequence[tuple[str, str]]) -> None:
    grades = [(source, reading.grade(graded_text(body))) for source, body in answers]
    known = [g for _, g in grades if g is not None]
    q = statistics.quantiles(known, n=100)
    print(f"\n{len(grades):,} answers, {len(grades) - len(known):,} too short to grade")
    cuts = {p: q[p - 1] for p in (5, 25, 50, 75, 95)}
    print("grade " + "  ".join(f"p{p} {value:.1f}" for p, value in cuts.items()))
    bands = Counter(reading.of_grade(g).level for g in known)
    for band in reading.BANDS:
        share = bands[band.level] / len(grades)
        print(f"  {band.label:<20} up to {band.up_to:>4}: {share:6.1%}")
    print(f"  {'too short':<20}              {(len(grades) - len(known)) / len(grades):6.1%}")
    by_source: dict[str, list[float]] = defaultdict(list)
    for source, found in grades:
        if found is not None:
            by_source[source].append(found)
    print("median grade by source:")
    for source, values in sorted(by_source.items(), key=lambda kv: statistics.median(kv[1])):
        print(f"  {source:<18} {statistics.median(values):5.1f}  ({len(values):,} answers)")


def on_site(url: str, liveqa: Path) -> None:
    engine = open_kb(url)
    settings = load_settings(database_url=url)
    site = Site(engine, open_index(engine, settings), settings)
    questions = [q.text for q in liveqa_queries(liveqa)]
    asked = {q: site.ask(q, 10, None) for q in questions[:10]}  # warm up the engine
    engine_ms = timings(lambda q: asked.__setitem__(q, site.ask(q, 10, None)), questions, 1)

    def with_reading(q: str) -> None:
        matches = [service.AskMatch(**vars(m), url="", reading=None) for m in asked[q].matches]
        levels = service._first_answer_readings(site, [m.id for m in matches])
        for m in matches:
            m.reading = levels[m.id]
        reading.prefer_easier(matches, grade_of=service._grade, tied=service._ask_tied)

    first = timings(with_reading, questions, 1)
    again = timings(with_reading, questions, 1)
    print(f"\nper ask, {len(questions)} LiveQA questions, 10 matches each:")
    print(f"  engine + triage (reference)  {quantiles(engine_ms, engine_ms)}")
    print(f"  reading, first time          {quantiles(first, engine_ms)}")
    print(f"  reading again                {quantiles(again, engine_ms)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("medquad", nargs="?", type=Path, default=DEFAULT_ZIP)
    parser.add_argument("--every", type=int, default=1, help="take every Nth answer")
    parser.add_argument("--db", help="also time reading on ask over this indexed base")
    parser.add_argument("--liveqa", type=Path, default=DEFAULT_LIVEQA)
    args = parser.parse_args()
    if not args.medquad.exists():
        raise SystemExit(f"{args.medquad} is absent: pass the MedQuAD archive's path")
    records, _ = read(args.medquad)
    answers = [(r.source, a.body) for r in records for a in r.answers if a.body.strip()]
    answers = answers[:: args.every]
    bodies = [body for _, body in answers]
    startup()
    if args.db:
        on_site(args.db, args.liveqa)
        reading._memo.clear()  # the answers below are graded for the first time again
    reference = timings(text.blocks, bodies, 1)
    cold = timings(lambda body: reading.grade(graded_text(body)), bodies, 1)
    warm = timings(lambda body: reading.grade(graded_text(body)), bodies, 1)
    print(f"\nper answer, {len(bodies):,} MedQuAD answers:")
    print(f"  blocks (reference)   {quantiles(reference, reference)}")
    print(f"  grade, first time    {quantiles(cold, reference)}")
    print(f"  grade again (memo)   {quantiles(warm, reference)}")
    distribution(answers)


if __name__ == "__main__":
    main()
