"""Batch work shared among forked processes, for commands only (`healthqa index`): a web
worker never forks. The processes inherit what the work reads (a neighbourhood of related
lists, triage's rules), so only the jobs and their results cross between processes."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import threadpoolctl

Job = TypeVar("Job")
Result = TypeVar("Result")

_work: Callable[[Any], Any] | None = None  # what the forked processes call


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


def forked_map(
    work: Callable[[Job], Result], jobs: Sequence[Job], workers: int
) -> Iterator[Result]:
    """`work` over `jobs`, results in order, in `workers` forked processes with one BLAS
    thread each (they share the cores); in this process when one would do. `work` is
    inherited, never pickled: it may be a bound method of a large object."""
    if workers <= 1 or len(jobs) <= 1:
        yield from map(work, jobs)
        return
    global _work
    _work = work
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_one_thread) as pool:
            yield from pool.imap(_call, jobs)
    finally:
        _work = None


def _one_thread() -> None:
    threadpoolctl.threadpool_limits(1)


def _call(job: Any) -> Any:
    assert _work is not None  # set before the fork
    return _work(job)
