"""Draw the MedQuAD questions that blind authors rephrase in Spanish, Chinese and English.

    .venv/bin/python tools/draw_language_sample.py ../shared/data/MedQuAD-master.zip OUT.jsonl

Only answered questions are drawn (an asker must be able to find an answer), at most one per
focus so that no focus dominates, spread over the sources in proportion to their
answered question-answer pairs and shuffled with a fixed seed, so the same archive always
gives the same sample.
Each line holds the key the authors write against, the MedQuAD id, the title, the focus and the
first 300 characters of the answer (context for the author, never shown to the engine).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

from healthqa.ingest.medquad import read
from healthqa.ingest.records import QuestionRecord

SEED = 20261202
SIZE = 330  # 300 wanted; a few spare for items an author cannot rephrase sensibly


def main(archive: Path, out: Path) -> None:
    records, _ = read(archive)
    answered = [r for r in records if r.answers and r.answers[0].body.strip() and r.focus]
    by_source: dict[str, list[QuestionRecord]] = defaultdict(list)
    rng = random.Random(SEED)
    rng.shuffle(answered)
    seen: set[str] = set()
    for record in answered:
        if record.focus.lower() not in seen:
            seen.add(record.focus.lower())
            by_source[record.source].append(record)
    pairs = Counter(r.source for r in answered)
    drawn = []
    for source in sorted(by_source):
        share = max(1, round(SIZE * pairs[source] / len(answered)))
        drawn += by_source[source][:share]
    rng.shuffle(drawn)
    with out.open("w", encoding="utf-8") as fh:
        for n, r in enumerate(drawn[:SIZE], 1):
            item = {
                "key": f"ml{n:03d}",
                "external_id": r.external_id,
                "title": r.title,
                "focus": r.focus,
                "answer_start": r.answers[0].body.strip()[:300],
            }
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"{min(len(drawn), SIZE)} questions from {len(by_source)} sources -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
