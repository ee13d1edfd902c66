"""The knowledge base as every layer opens it: the site's settings read once (the country from a
config file reaches triage), and one `ask` whose triage reads the whole message, used alike by
the Python API, the command line and the website."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import healthqa
from healthqa.cli import app
from healthqa.kb import KnowledgeBase
from healthqa.search.ask import MAX_CHARS
from healthqa.web.app import create_app

EMERGENCY = "Crushing chest pain spreading to my left arm and jaw for 20 minutes, sweating."


@pytest.fixture
def site_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configured site in the United Kingdom, its database with the demo corpus."""
    db = tmp_path / "kb.db"
    config = tmp_path / "site.toml"
    config.write_text(f'database_url = "sqlite:///{db}"\ncountry = "GB"\n')
    monkeypatch.setenv("HEALTHQA_CONFIG", str(config))
    result = CliRunner().invoke(app, ["import", "demo"])
    assert result.exit_code == 0, result.output
    return config


def test_the_config_files_country_reaches_triage_through_every_ask(site_config: Path) -> None:
    kb = KnowledgeBase.open()
    assert kb.country == "GB"
    assert kb.ask(EMERGENCY).triage["advice"]["emergency_number"] == "999"  # type: ignore[index]

    assert healthqa.ask(EMERGENCY).triage["advice"]["emergency_number"] == "999"  # type: ignore[index]

    cli = CliRunner().invoke(app, ["ask", EMERGENCY, "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["triage"]["advice"]["emergency_number"] == "999"
    cli = CliRunner().invoke(app, ["triage", EMERGENCY, "--json"])
    assert json.loads(cli.output)["advice"]["emergency_number"] == "999"

    with TestClient(create_app(kb.engine)) as client:
        asked = client.get("/api/v1/ask", params={"q": EMERGENCY}).json()
    assert asked["triage"]["advice"]["emergency_number"] == "999"


def test_triage_reads_the_whole_message_when_search_reads_only_its_start(
    site_config: Path,
) -> None:
    routine = "I have had a mild itchy rash on my elbow for a week and wonder about creams. "
    text = routine * (MAX_CHARS // len(routine) + 2) + EMERGENCY
    result = KnowledgeBase.open().ask(text)
    assert result.trimmed and EMERGENCY not in result.query
    assert result.triage is not None and result.triage["level"] == "emergency"
