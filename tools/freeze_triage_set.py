"""Merge the blind authors' message files into the triage evaluation set and freeze its split.

    .venv/bin/python tools/freeze_triage_set.py AUTHOR_DIR [OUT_DIR PREFIX]

AUTHOR_DIR holds one `<PREFIX>.jsonl` per author (see healthqa/triage/data/README.md). Within
each author and level the messages are shuffled with a seed of their own and half go to the
test split (rounded up), so both halves have every author, family and level. Writes
`blind_dev.jsonl`, `blind_test.jsonl` and `SHA256SUMS` into healthqa/triage/data (or
`PREFIX_dev.jsonl`, `PREFIX_test.jsonl` and `SHA256SUMS` into OUT_DIR: the sets in other
languages, `healthqa/triage/data/languages es`). It prints
counts only, never a message: the test half is not to be read while tuning.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

from healthqa.triage.evaluate import DATA, load_blind

SEED = 20261201
TEST_SHARE = 0.5


def main(folder: Path, out: Path = DATA, prefix: str = "blind") -> None:
    groups: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
    for path in sorted(folder.glob("*.jsonl")):
        load_blind("dev", path)  # validates every record, naming file and line
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                record["author"] = path.stem
                groups[(path.stem, record["level"])].append(record)
    split: dict[str, list[dict[str, object]]] = {"dev": [], "test": []}
    for key in sorted(groups):
        records = sorted(groups[key], key=lambda r: str(r["id"]))
        random.Random(f"{SEED}:{key[0]}:{key[1]}").shuffle(records)  # stable as authors are added
        cut = -(-len(records) * int(TEST_SHARE * 100) // 100)
        split["test"] += records[:cut]
        split["dev"] += records[cut:]
    sums = []
    for name, records in split.items():
        records.sort(key=lambda r: str(r["id"]))
        target = out / f"{prefix}_{name}.jsonl"
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        target.write_text(body, encoding="utf-8")
        sums.append(f"{hashlib.sha256(body.encode()).hexdigest()}  {target.name}\n")
        counts = Counter(str(r["level"]) for r in records)
        print(name, len(records), dict(sorted(counts.items())))
    sums_file = out / "SHA256SUMS"
    mine = (f"  {prefix}_dev.jsonl", f"  {prefix}_test.jsonl")
    kept = [line for line in _lines(sums_file) if not line.rstrip().endswith(mine)]
    sums_file.write_text("".join(kept + sums), encoding="utf-8")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []


if __name__ == "__main__":
    if len(sys.argv) == 4:
        main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
    else:
        main(Path(sys.argv[1]))
