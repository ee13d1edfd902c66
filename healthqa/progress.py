"""Progress bars for long work: shown on a terminal, silent in CI and when output is piped."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def enabled() -> bool:
    if os.environ.get("CI") or os.environ.get("HEALTHQA_NO_PROGRESS"):
        return False
    return sys.stderr.isatty()


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """Yield `advance(n)`; draws a bar on stderr only when a person is watching."""
    if not enabled() or not total:
        yield lambda n: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=Console(stderr=True),
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
