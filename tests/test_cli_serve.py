"""`healthqa serve` with two workers as an operator runs it: a worker killed with SIGKILL is
replaced, and the other one answers meanwhile. (A connection the kernel had already handed to
the killed worker is reset: a client sees that one fail, as with any crash.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import free_port, wait_until_up

REPLACED_WITHIN = 60.0  # seconds: a new worker loads the search index before it serves


def workers_of(pid: int) -> set[int]:
    """The worker processes of the server `pid`: its children (granian forks them)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if parent == pid:
            found.add(int(entry.name))
    return found


def ready(log: Path) -> set[int]:
    """The workers that said they take requests (each says so once its index is loaded)."""
    lines = log.read_text(errors="replace").splitlines()
    return {int(line.split()[2]) for line in lines if line.startswith("healthqa worker ")}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port = free_port()
    env = os.environ | {"HEALTHQA_HOME": str(tmp_path), "HEALTHQA_NO_PROGRESS": "1"}
    env.pop("HEALTHQA_DATABASE_URL", None)
    healthqa = Path(sys.executable).with_name("healthqa")
    command = [str(healthqa), "--db", str(tmp_path / "kb.db"), "serve", "--workers", "2"]
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/robots.txt", server)
            yield server, base, log_path
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()  # a slow shutdown is not what this test is about
                server.wait(timeout=30)


def get(url: str) -> int | str:
    """The status, or the kind of failure when the connection broke."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except OSError as exc:
        return type(exc).__name__


def test_a_killed_worker_is_replaced_while_the_other_serves(
    served: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    server, base, log = served
    deadline = time.monotonic() + REPLACED_WITHIN
    # Kill only once both serve: killing the one that serves while the other still loads its
    # index would leave nobody to answer, which is not what this test is about.
    while len(workers := ready(log) & workers_of(server.pid)) < 2:
        assert time.monotonic() < deadline, f"workers not ready: {log.read_text()}"
        time.sleep(0.2)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    statuses = []
    while time.monotonic() < deadline:
        statuses.append(get(f"{base}/ask?q=knee+pain"))
        now = ready(log) & workers_of(server.pid)
        if len(now) == 2 and victim not in now:
            break
        time.sleep(0.2)
    assert len(now) == 2 and victim not in now, f"not replaced: {now}"
    assert 200 in statuses and set(statuses) <= {200, "ConnectionResetError"}, statuses
    assert all(get(f"{base}/ask?q=knee+pain+{n}") == 200 for n in range(8))  # both serve again
    assert server.poll() is None
