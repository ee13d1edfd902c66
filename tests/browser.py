"""Helpers for the tests that drive Debian's Chromium against `healthqa serve`: the launch
options (the machine has no internet), a free port, waiting for the server, skipping or
failing (in CI) when the browser is missing, and axe-core's accessibility checks."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_SECONDS = 120  # the server loads the embedding model before it answers


def missing(what: str) -> None:
    message = f"{what}: the browser test needs Debian's chromium and the playwright package"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"healthqa serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"healthqa serve did not answer {url} within {START_SECONDS} s")


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright (which never downloads a browser here)."""
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@cache
def axe_script() -> str:
    """axe-core's axe.min.js as the axe-playwright-python package installed it: never fetched."""
    try:
        return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        missing("axe-playwright-python is not installed (pip install -e '.[dev]')")
        raise


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it stands, every rule axe runs by default (WCAG 2.x
    A and AA, best practices). The page's context must bypass the site's Content-Security-Policy,
    which rightly refuses the inline script that carries axe."""
    page.add_script_tag(content=axe_script())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def axe_report(violations: list[dict[str, Any]]) -> str:
    """One line a violation: rule, impact, what it asks, and where."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in violations
    )
