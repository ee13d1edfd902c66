"""Backups of a whole site, taken while it runs: SQLite through its online backup API,
PostgreSQL through `pg_dump` (custom format) and `pg_restore`.

A backup is one consistent snapshot: every write acknowledged before it started is in it, and no
transaction is in it by halves. `restore` replaces the database's contents with the backup's.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL


class BackupError(Exception):
    """A backup cannot be taken or restored; the message says which file or tool failed."""


def backup(engine: Engine, target: Path) -> Path:
    """Write a backup of `engine`'s database to `target` (replaced only once complete)."""
    target = Path(target).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if engine.url.get_backend_name() == "sqlite":
        _sqlite_copy(_sqlite_path(engine.url), partial)
    else:
        _run("pg_dump", "--format=custom", "--no-owner", f"--file={partial}", _libpq(engine.url))
    os.replace(partial, target)
    return target


def restore(engine: Engine, source: Path) -> None:
    """Replace the contents of `engine`'s database with the backup in `source`."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    engine.dispose()  # pooled connections would keep reading the old pages
    if engine.url.get_backend_name() == "sqlite":
        _sqlite_copy(source, Path(_sqlite_path(engine.url)))
    else:
        _run(
            "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
            f"--dbname={_libpq(engine.url)}", str(source),
        )  # fmt: skip


def _sqlite_copy(source: Path | str, target: Path) -> None:
    """Copy one SQLite database into another through the online backup API: in one step, so the
    copy is one snapshot even while other connections write (WAL lets them go on)."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
            _check_sqlite(src, source)
            with closing(sqlite3.connect(target)) as dst:
                src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot copy the SQLite database to {target}: {exc}") from exc


def _check_sqlite(conn: sqlite3.Connection, source: Path | str) -> None:
    if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
        raise BackupError(f"{source}: the SQLite database is damaged (PRAGMA quick_check)")


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return url.database


def _libpq(url: URL) -> str:
    """The URL as PostgreSQL's own tools read it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(tool: str, *args: str) -> None:
    try:
        done = subprocess.run([_tool(tool), *args], capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"{tool} failed: {exc}") from exc
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")


def _tool(name: str) -> str:
    """The newest installed `pg_dump` / `pg_restore`: it must be at least the server's version,
    and Debian keeps each version's tools in its own folder."""
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version)
    found = installed[-1] if installed else shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def _version(path: str) -> int:
    folder = Path(path).parent.parent.name
    return int(folder) if folder.isdigit() else 0
