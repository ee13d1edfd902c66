"""Fixtures: real SQLite files, a real throwaway PostgreSQL cluster, the shared data sets."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from healthqa.kb import open_kb

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's own healthqa folder or configuration."""
    monkeypatch.setenv("HEALTHQA_HOME", str(tmp_path / "home"))
    for name in ("HEALTHQA_DATABASE_URL", "HEALTHQA_CONFIG", "HEALTHQA_TOPICS_FILE"):
        monkeypatch.delenv(name, raising=False)


def shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the shared data sets")
    return path


@pytest.fixture
def medquad_zip() -> Path:
    return shared("MedQuAD-master.zip")


@pytest.fixture
def liveqa_dir() -> Path:
    return shared("liveqa-med-train")


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free port; yields its admin URL."""
    bindir = _pg_bin()
    if bindir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="healthqa-pg-"))
    data, port = root / "data", _free_port()
    # PostgreSQL refuses to run as root: run it as the postgres user when we are root.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres")
    subprocess.run([*as_user, bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    server = subprocess.Popen(
        [*as_user, bindir / "postgres", "-D", data, "-p", str(port), "-k", root,
         "-h", "127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    _wait_for(url, server)
    yield url
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(root, ignore_errors=True)


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            create_engine(url).connect().close()
            return
        except Exception:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


_counter = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.db'}"
    admin_url: str = request.getfixturevalue("pg_server")
    name = f"test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    kb = open_kb(db_url)
    yield kb
    kb.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    kb = open_kb(f"sqlite:///{tmp_path / 'kb.db'}")
    yield kb
    kb.dispose()
