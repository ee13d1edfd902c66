"""A synthetic knowledge base of any size for the scale benchmark, made from MedQuAD by fixed,
seeded rules: the same seed and size give the same file, byte for byte, and a smaller base is
the start of a larger one.

    python bench/synthetic.py --size 1000000 --out /tmp/scale/1m.jsonl [--zip PATH] [--seed 1]

Question n is a copy of MedQuAD question `n mod B` of a seeded order of copy `n div B` (B the
47,457 MedQuAD questions), so every MedQuAD question is copied before any is copied twice:

1. Copy 0 is the MedQuAD question as it is.
2. Later copies are reworded: the focus may be swapped for one of its synonyms (half the
   time, where it has any), and the title is one of the wordings for its question type in
   bench/synthetic.toml (types without wordings keep their title, renamed).
3. Some copies (BODY_SHARE) have the asker's own words: a line from `frames`, the question, and
   sometimes (SIBLING_SHARE of those) a second question of the same MedQuAD document.
4. Answers are the MedQuAD question's own, word for word, with its author and address; nothing
   medical is written. Every question names the source `synthetic`, which says what it is.

The output is the JSONL format of docs/jsonl-format.md (`healthqa import jsonl` reads it).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from healthqa.ingest.medquad import read  # noqa: E402
from healthqa.ingest.records import QuestionRecord  # noqa: E402

DEFAULT_ZIP = ROOT.parent / "shared" / "data" / "MedQuAD-master.zip"
RULES = Path(__file__).with_name("synthetic.toml")
SYNONYM_SHARE = 0.5
BODY_SHARE = 0.4
SIBLING_SHARE = 0.3
SOURCE = {
    "kind": "source",
    "key": "synthetic",
    "name": "Synthetic benchmark base (MedQuAD reworded; not for publication)",
    "attribution": "Answers copied from MedQuAD (NIH sources); questions reworded by "
    "bench/synthetic.py",
}


class Rules:
    """The wordings and askers' lines of bench/synthetic.toml."""

    def __init__(self, path: Path = RULES) -> None:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        self.wordings: dict[str, list[str]] = data["wordings"]
        self.frames: list[str] = data["frames"]
        self.who: list[str] = data["who"]


def generate(
    base: Sequence[QuestionRecord], size: int, seed: int = 1, rules: Rules | None = None
) -> Iterator[dict[str, Any]]:
    """The source line, then `size` question lines (as JSON objects)."""
    rules = rules or Rules()
    base = sorted(base, key=lambda r: r.external_id)
    siblings = _documents(base)
    yield SOURCE
    order: list[int] = []
    for n in range(size):
        copy, slot = divmod(n, len(base))
        if slot == 0:
            order = list(range(len(base)))
            random.Random(f"{seed}-order-{copy}").shuffle(order)
        record = base[order[slot]]
        rng = random.Random(f"{seed}-{n}")
        yield _question(n, copy, record, siblings[_document(record)], rng, rules)


def _question(
    n: int,
    copy: int,
    record: QuestionRecord,
    siblings: list[QuestionRecord],
    rng: random.Random,
    rules: Rules,
) -> dict[str, Any]:
    title, body = record.title, ""
    if copy:
        name = record.focus
        if record.synonyms and rng.random() < SYNONYM_SHARE:
            name = rng.choice(record.synonyms)
        title = _reworded(record, name, rng, rules)
        if rng.random() < BODY_SHARE:
            body = _body(record, name, title, siblings, rng, rules)
    return {
        "id": f"syn-{n:07d}",
        "title": title,
        "body": body,
        "question_type": record.question_type,
        "focus": record.focus,
        "focus_category": record.focus_category,
        "synonyms": record.synonyms,
        "cuis": record.cuis,
        "semantic_types": record.semantic_types,
        "semantic_group": record.semantic_group,
        "document_id": f"{copy}-{_document(record)}",
        "source": SOURCE["key"],
        "source_url": record.source_url,
        "answers": [
            {"body": a.body, "author": a.author, "source_url": a.source_url} for a in record.answers
        ],
    }


def _reworded(record: QuestionRecord, name: str, rng: random.Random, rules: Rules) -> str:
    wordings = rules.wordings.get(record.question_type or "")
    if wordings and name:
        return rng.choice(wordings).format(name=name)
    if not record.focus or name == record.focus:
        return record.title
    return re.sub(re.escape(record.focus), lambda _: name, record.title, flags=re.IGNORECASE)


def _body(
    record: QuestionRecord,
    name: str,
    title: str,
    siblings: list[QuestionRecord],
    rng: random.Random,
    rules: Rules,
) -> str:
    frame = rng.choice(rules.frames).format(name=name or "this", who=rng.choice(rules.who))
    parts = [frame, title]
    others = [s for s in siblings if s.external_id != record.external_id]
    if others and rng.random() < SIBLING_SHARE:
        parts.append("Also: " + rng.choice(others).title)
    return " ".join(parts)


def _document(record: QuestionRecord) -> str:
    return f"{record.source}-{record.document_id}"


def _documents(base: Sequence[QuestionRecord]) -> dict[str, list[QuestionRecord]]:
    documents: dict[str, list[QuestionRecord]] = defaultdict(list)
    for record in base:
        documents[_document(record)].append(record)
    return documents


def write(path: Path, base: Sequence[QuestionRecord], size: int, seed: int = 1) -> int:
    """Write the base of `size` questions to `path`; returns the number of questions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    with tmp.open("w", encoding="utf-8") as out:
        for obj in generate(base, size, seed):
            out.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")
    tmp.replace(path)  # a half-written file never passes for a whole one
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--zip", type=Path, default=DEFAULT_ZIP)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not args.zip.exists():
        sys.exit(f"MedQuAD not found at {args.zip}: pass --zip")
    base, _ = read(args.zip)
    write(args.out, base, args.size, args.seed)
    print(f"{args.size:,} questions in {args.out}")


if __name__ == "__main__":
    main()
