"""A throwaway PostgreSQL cluster on a free port: Debian's postgresql package, or the
PostgreSQL 16 with pgvector that the `pgserver` package (a dev dependency) ships.

Used by the test fixtures and by the benchmarks; never by the library itself.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


class PostgresMissing(Exception):
    """Debian's postgresql package is not installed."""


class PgvectorMissing(Exception):
    """The pgserver package (PostgreSQL 16 with pgvector) is not installed."""


def pgvector_bindir() -> Path:
    """The programs of pgserver's PostgreSQL 16 with pgvector. Found without importing the
    package: its import reads the environment for a runtime folder and warns when it has
    none, and we only want its binaries (run the same way as Debian's, below)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise PgvectorMissing("pgserver is not installed (pip install -e '.[dev]')")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _server_user() -> str:
    """Who runs the server when we are root (PostgreSQL refuses root): Debian's postgres
    user where the package made one, else nobody."""
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        return "nobody"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresMissing("PostgreSQL is not installed (apt-get install postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_postgres(bindir: Path | None = None) -> Iterator[str]:
    """Start a cluster (Debian's programs unless `bindir`), yield its admin URL, stop and
    delete it afterwards."""
    bindir = bindir or _bindir()
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="healthqa-pg-"))
    data, port = root / "data", _free_port()
    # PostgreSQL refuses to run as root: run it as another user when we are root.
    user = _server_user() if os.geteuid() == 0 else None
    as_user = ["runuser", "-u", user, "--"] if user else []
    if user:
        shutil.chown(root, user)
    subprocess.run(
        [
            *as_user,
            bindir / "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            *as_user,
            bindir / "postgres",
            "-D",
            data,
            "-p",
            str(port),
            "-k",
            root,
            "-h",
            "127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    try:
        _wait_for(url, server)
        yield url
    finally:
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


def create_database(admin_url: str, name: str) -> str:
    """A new empty database on the cluster; returns its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def pgvector_server() -> Iterator[str]:
    """A throwaway PostgreSQL 16 with pgvector (pgserver's) for the session; its admin URL."""
    try:
        bindir = pgvector_bindir()
    except PgvectorMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))  # CI must test the PostgreSQL search backend, never skip it
        pytest.skip(str(exc))
    with _reachable(bindir) as usable, throwaway_postgres(usable) as url:
        yield url


@contextmanager
def _reachable(bindir: Path) -> Iterator[Path]:
    """`bindir`, or a copy of its installation the server's user can run: as root, the
    server runs as another user, who may not reach into a private checkout (CI's clone)."""
    user = _server_user() if os.geteuid() == 0 else None
    check = ["runuser", "-u", user, "--", "test", "-x", str(bindir / "postgres")] if user else []
    if not check or subprocess.run(check).returncode == 0:
        yield bindir
        return
    copy = Path(tempfile.mkdtemp(prefix="healthqa-pgvector-"))
    try:
        # the programs find their libraries at $ORIGIN/../../../pgserver.libs (the wheel's)
        package = bindir.parent.parent
        shutil.copytree(bindir.parent, copy / "pgserver" / "pginstall", symlinks=True)
        libs = package.parent / "pgserver.libs"
        shutil.copytree(libs, copy / "pgserver.libs", symlinks=True)
        for folder in (copy, copy / "pgserver"):
            folder.chmod(0o755)
        yield copy / "pgserver" / "pginstall" / "bin"
    finally:
        shutil.rmtree(copy, ignore_errors=True)
