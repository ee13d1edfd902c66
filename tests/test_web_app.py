"""The minimal site: the list page, a question page, escaping, 404."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from healthqa.ingest import import_jsonl
from healthqa.kb import load_demo_if_empty
from healthqa.web.app import create_app


def test_first_start_loads_demo_and_lists_it(sqlite_engine: Engine) -> None:
    assert load_demo_if_empty(sqlite_engine) is not None
    assert load_demo_if_empty(sqlite_engine) is None  # only when empty
    client = TestClient(create_app(sqlite_engine))
    page = client.get("/")
    assert page.status_code == 200
    assert "Medical disclaimer" in page.text and "emergency" in page.text
    assert page.text.count('href="/q/demo-') == 50  # newest first, 50 a page
    assert "/q/demo-0001" in client.get("/?page=2").text

    question = client.get("/q/demo-0001")
    assert question.status_code == 200
    assert "Medical disclaimer" in question.text and "healthqa demo corpus" in question.text


def test_user_text_is_escaped(sqlite_engine: Engine, tmp_path: Path) -> None:
    hostile = "<script>alert('x')</script>"
    line = {"id": "h-1", "title": hostile, "answers": [{"body": hostile, "author": hostile}]}
    (tmp_path / "h.jsonl").write_text(json.dumps(line))
    import_jsonl(sqlite_engine, tmp_path / "h.jsonl")
    client = TestClient(create_app(sqlite_engine))
    for url in ("/", "/q/h-1"):
        body = client.get(url).text
        assert hostile not in body and "&lt;script&gt;" in body


def test_unknown_question_is_404(sqlite_engine: Engine) -> None:
    assert TestClient(create_app(sqlite_engine)).get("/q/nope").status_code == 404
