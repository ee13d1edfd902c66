"""Fixtures: real SQLite files, a real throwaway PostgreSQL cluster, the shared data sets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from healthqa.kb import open_kb
from tests.data import shared
from tests.pg import PostgresMissing, create_database, throwaway_postgres
from tests.smtp import smtp  # noqa: F401  (a real SMTP server for mail tests)


@pytest.fixture(scope="session")
def _model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _model_cache: Path) -> None:
    """No test reads or writes the user's own healthqa folder or configuration. The cache
    (the ONNX export of the model) is shared by the session: it is derived, not state."""
    monkeypatch.setenv("HEALTHQA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEALTHQA_CACHE_DIR", str(_model_cache))
    for name in ("HEALTHQA_DATABASE_URL", "HEALTHQA_CONFIG", "HEALTHQA_TOPICS_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def medquad_zip() -> Path:
    return shared("MedQuAD-master.zip")


@pytest.fixture
def liveqa_dir() -> Path:
    return shared("liveqa-med-train")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the whole session; yields its admin URL."""
    try:
        with throwaway_postgres() as url:
            yield url
    except PostgresMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))  # CI must test PostgreSQL, never skip it
        pytest.skip(str(exc))


_counter = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.db'}"
    admin_url: str = request.getfixturevalue("pg_server")
    return create_database(admin_url, f"test_{os.getpid()}_{next(_counter)}")


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


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The site on the demo corpus, shared by the tests of one module (see tests/web.py)."""
    # imported here, not at the top: only web tests pay for loading the app
    from tests.web import demo_site

    with demo_site(tmp_path_factory.mktemp("web")) as test_client:
        yield test_client
