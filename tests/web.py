"""Helpers for the tests that drive the web app in-process.

`demo_site` builds what every web test drives: a real SQLite file with the demo corpus, a few
extra questions (one with a hostile title, one pending, MedQuAD-style ones), the search index,
and the app in-process behind FastAPI's TestClient. The `client` fixture (conftest.py) is one
such site shared by the tests of a module; tests that change the site build their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from healthqa.config import load_settings
from healthqa.ingest import import_demo, import_jsonl
from healthqa.kb import open_index, open_kb
from healthqa.web.app import create_app
from healthqa.web.site import Site

HOSTILE = "<script>alert('x')</script>"
EXTRA = [
    {
        "kind": "source",
        "key": "GHR",
        "name": "Genetics Home Reference (MedlinePlus Genetics)",
        "url": "https://medlineplus.gov/genetics/",
        "licence": "CC BY 4.0",
        "attribution": "From Genetics Home Reference, U.S. National Institutes of Health, via "
        "the MedQuAD collection, licensed CC BY 4.0.",
    },
    {
        "kind": "source",
        "key": "ADAM",
        "name": "A.D.A.M. Medical Encyclopedia (MedlinePlus)",
        "url": "https://medlineplus.gov/encyclopedia.html",
        "licence": "CC BY 4.0",
        "attribution": "From A.D.A.M. Medical Encyclopedia via MedQuAD, licensed CC BY 4.0.",
    },
    {
        "id": "hostile-1",
        "title": f"Is {HOSTILE} a rash?",
        "body": f"My skin {HOSTILE} itches",
        "topic": "skin-hair-nails",
        "answers": [{"body": f"Rash answer {HOSTILE}", "author": HOSTILE}],
    },
    {
        "id": "pending-1",
        "title": "Secret pending question about zebrafish allergy",
        "topic": "skin-hair-nails",
        "status": "pending",
    },
    {
        "id": "GHR_0000001_Sec1",
        "title": "What is (are) Aarskog-Scott syndrome?",
        "topic": "genetic-conditions",
        "source": "GHR",
        "source_url": "https://ghr.nlm.nih.gov/condition/aarskog-scott-syndrome",
        "answers": [
            {
                "body": "Aarskog-Scott syndrome is a genetic disorder.\n\nSigns include:"
                "         - short stature     - facial differences",
                "author": "Genetics Home Reference (MedlinePlus Genetics)",
            }
        ],
    },
    {
        "id": "ADAM_0000001_Sec1",
        "title": "What is (are) Broken collarbone?",
        "topic": "injuries-and-first-aid",
        "source": "ADAM",
        "source_url": "https://www.nlm.nih.gov/medlineplus/ency/article/000001.htm",
    },
]
ARTICLE = "/q/demo-0001/lower-back-pain-since-my-iud-was-put-in-what-should-i-do"


@contextmanager
def demo_site(
    folder: Path,
    extra: Sequence[object] = EXTRA,
    *,
    demo: bool = True,
    **app_options: Any,
) -> Iterator[TestClient]:
    """The demo corpus (unless not `demo`) plus `extra` (JSONL lines) in a SQLite file in
    `folder`, served in-process (`app_options` go to `create_app`)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HEALTHQA_HOME", str(folder / "home"))
        for name in ("HEALTHQA_DATABASE_URL", "HEALTHQA_CONFIG", "HEALTHQA_TOPICS_FILE"):
            env.delenv(name, raising=False)
        url = f"sqlite:///{folder / 'kb.db'}"
        engine = open_kb(url)
        if demo:
            import_demo(engine)
        (folder / "extra.jsonl").write_text("\n".join(json.dumps(line) for line in extra))
        import_jsonl(engine, folder / "extra.jsonl")
        # plain http to "testserver": let the client keep cookies (test_web_people checks
        # that they are Secure by default)
        settings = load_settings(database_url=url, index_dir=folder / "index", secure_cookies=False)
        app = create_app(engine, open_index(engine, settings), settings, **app_options)
        with TestClient(app) as client:
            yield client
        engine.dispose()


def csrf(client: TestClient) -> str:
    """The client's CSRF token, as a page with a form hands it out."""
    if "hqa_csrf" not in client.cookies:
        client.get("/signin")
    return str(client.cookies["hqa_csrf"])


def post_form(client: TestClient, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Post a form the way the site's pages do: with the CSRF token."""
    return client.post(path, data={**data, "csrf": csrf(client)}, **kwargs)


def site_of(client: TestClient) -> Site:
    """The app's Site (engine, index, settings, article cache) behind a test client."""
    site: Site = client.app.state.site  # type: ignore[attr-defined]
    return site
