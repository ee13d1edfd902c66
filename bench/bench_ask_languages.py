"""Asking in Spanish and Chinese on the whole knowledge base: latency of `KnowledgeBase.ask`
(detection, the multilingual index and triage, as the site asks), per language, beside
English.

    HEALTHQA_LANGUAGES=en,es,zh python bench/bench_ask_languages.py --db sqlite:///path/full.db

Messages: the dev split of the blind-written language set (healthqa/search/data/languages),
100 per language. Reference runs in the same process: the E5 query embedding alone and
language detection alone, so the ratios show where the time goes. The base must hold MedQuAD
with its multilingual index built (`HEALTHQA_LANGUAGES=en,es,zh healthqa index`); a first run
without it builds it and says how long that took.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_ask import percentiles, print_rows  # noqa: E402  (this folder is on the path)

from healthqa.config import load_settings  # noqa: E402
from healthqa.kb import KnowledgeBase, open_kb  # noqa: E402
from healthqa.language import detect  # noqa: E402
from healthqa.search.languages import read_set  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    os.environ.setdefault("HEALTHQA_LANGUAGES", "en,es,zh")
    settings = load_settings(database_url=args.db)
    kb = KnowledgeBase(open_kb(args.db), settings=settings)
    start = time.perf_counter()
    size = len(kb.multilingual)
    print(f"multilingual index of {size:,} questions ready in {time.perf_counter() - start:.1f} s")
    asked = read_set("dev")
    rows = {}
    for language in ("en", "es", "zh"):
        texts = [a.text for a in asked if a.language == language]
        rows[f"ask, {language}"] = percentiles(lambda t: kb.ask(t, 10), texts)
    others = [a.text for a in asked if a.language != "en"]
    rows["E5 query only (es+zh)"] = percentiles(kb.multilingual.query, others)
    rows["detection only (es+zh)"] = percentiles(detect, others)
    print(f"{len(asked)} messages of the dev split, k=10, 2 cores")
    print_rows(rows, "ask, es", "the Spanish p50")


if __name__ == "__main__":
    main()
