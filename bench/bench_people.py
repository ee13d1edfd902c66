"""Time the people's side: sending a question, screening text, signing in, and a signed-in page.

    .venv/bin/python bench/bench_people.py [LIVEQA_DIR] [--n N]

On the demo corpus in a temporary SQLite file (so it runs anywhere), LiveQA's 446 real consumer
questions are sent as new questions one after another; the reference in the same process is the
answer engine's `ask` on the same texts, which sending runs once for its duplicate check. So the
ratio shows what screening, triage and the transactional write add. Rate limits are cleared
between sends (one address would be stopped after 5). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import delete

from healthqa.config import load_settings
from healthqa.ingest.demo import import_demo
from healthqa.ingest.liveqa import read as read_liveqa
from healthqa.kb import KnowledgeBase, open_index, open_kb
from healthqa.people import accounts, asking
from healthqa.people.limits import TITLE_CHARS
from healthqa.screening import screen
from healthqa.search.ask import ask
from healthqa.store.models import RateEvent

REPO = Path(__file__).resolve().parents[1]
DEFAULT_LIVEQA = REPO.parent / "shared" / "data" / "liveqa-med-train"
PASSWORD = "correct horse battery"


def millis(run: Callable[[str], object], texts: Sequence[str]) -> list[float]:
    samples = []
    for text in texts:
        start = time.perf_counter()
        run(text)
        samples.append((time.perf_counter() - start) * 1e3)
    return samples


def interleaved(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Milliseconds per call, the runs taking turns so that drift in machine speed hits each."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            samples[name].append((time.perf_counter() - start) * 1e3)
    return samples


def line(name: str, samples: list[float], unit: str = "ms") -> str:
    q = statistics.quantiles(samples, n=100)
    figures = f"p50 {q[49]:8.2f} {unit}  p95 {q[94]:8.2f}  p99 {q[98]:8.2f}"
    return f"{name:<38} n={len(samples):>4}  {figures}"


def questions(folder: Path, n: int) -> list[str]:
    if not folder.is_dir():
        raise SystemExit(f"LiveQA folder {folder} is absent: pass its path")
    records = [r for file in sorted(folder.glob("*.xml")) for r in read_liveqa(file)[0]]
    texts = [r.title + "\n" + r.body for r in records]
    return [t[:300] for t in texts][:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "liveqa", nargs="?", default=os.environ.get("HEALTHQA_LIVEQA_DIR", DEFAULT_LIVEQA)
    )
    parser.add_argument("--n", type=int, default=446)
    args = parser.parse_args()
    texts = questions(Path(args.liveqa), args.n)
    with tempfile.TemporaryDirectory() as home:
        url = f"sqlite:///{home}/kb.db"
        engine = open_kb(url)
        import_demo(engine)
        settings = load_settings(database_url=url, index_dir=Path(home) / "index")
        index = open_index(engine, settings)
        kb = KnowledgeBase(engine, index, settings)
        for text in texts[:10]:
            ask(index, text, k=5)  # warm up

        def send(text: str) -> None:
            title, _, details = text.partition("\n")
            with engine.begin() as conn:
                conn.execute(delete(RateEvent))
            title = title[:TITLE_CHARS] or "?"
            asking.submit(kb, title, details, sender="bench", confirm_new=False)

        def send_safely(text: str) -> None:
            with contextlib.suppress(asking.AlreadyAnswered, asking.QuestionRefused):
                send(text)  # refused ones are still timed: the checks ran

        reference = millis(lambda t: ask(index, t, k=5), texts)
        sending = millis(send_safely, texts)
        screening = millis(screen, texts)
        accounts.add_user(engine, "me@example.org", PASSWORD)
        sign_in = interleaved(
            {
                "right password": lambda: accounts.authenticate(engine, "me@example.org", PASSWORD),
                "wrong password": lambda: accounts.authenticate(engine, "me@example.org", "x" * 12),
                "unknown email": lambda: accounts.authenticate(engine, "no@example.org", "x" * 12),
            },
            rounds=40,
        )
        print(f"LiveQA questions: {len(texts)}; demo corpus of {len(index.docs)} questions")
        print(line("ask (reference)", reference))
        print(line("send a question (asking.submit)", sending))
        print(line("screen (spam, links, masking)", screening))
        for name, samples in sign_in.items():
            print(line(f"sign in, {name}", samples))
        ratio = statistics.median(sending) / statistics.median(reference)
        print(f"send / ask p50 ratio: {ratio:.2f}")
        gap = statistics.median(sign_in["unknown email"]) / statistics.median(
            sign_in["wrong password"]
        )
        print(f"sign-in p50, unknown email / wrong password: {gap:.2f} (1.0: no timing leak)")
        engine.dispose()


if __name__ == "__main__":
    main()
