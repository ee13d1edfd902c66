"""The site as a whole: security headers, errors, compression, ETags, the article cache.

Most tests share the `client` fixture (conftest.py): the demo site that `tests.web.demo_site`
builds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from healthqa.ingest import import_jsonl
from healthqa.kb import open_kb
from healthqa.web.app import create_app
from tests.web import ARTICLE, EXTRA, demo_site, site_of


@pytest.mark.parametrize(
    "url", ["/", ARTICLE, "/ask", "/search?q=pain", "/topics", "/nope", "/api/v1/topics"]
)
def test_every_response_has_a_content_security_policy(client: TestClient, url: str) -> None:
    response = client.get(url)
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_load_only_local_assets(client: TestClient) -> None:
    for url in ("/", ARTICLE, "/ask", "/docs"):
        html = client.get(url).text
        assets = re.findall(
            r'<script src="([^"]+)"|<link rel="(?:stylesheet|icon)" href="([^"]+)"', html
        )
        assert assets and all(a.startswith("/static/") for pair in assets for a in pair if a)
    assert client.get("/static/site.css").headers["cache-control"].endswith("immutable")


def test_unknown_pages_get_a_helpful_404(client: TestClient) -> None:
    for url in ("/nope", "/q/no-such-question", "/q/no-such-question/slug", "/topics/nope"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "We could not find that page" in response.text
        assert 'action="/search"' in response.text and 'href="/ask"' in response.text
        assert "Medical disclaimer" in response.text


def test_a_server_error_gets_a_calm_page(tmp_path: Path) -> None:
    engine = open_kb(f"sqlite:///{tmp_path / 'kb.db'}")
    app = create_app(engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text and "boom" not in response.text
    engine.dispose()


def test_bad_page_parameters_get_400_pages(client: TestClient) -> None:
    response = client.get("/topics/pregnancy?page=-1")
    assert response.status_code == 400
    assert "parameter &#39;page&#39;: input should be greater" in response.text.lower()


def test_pages_are_compressed_and_tagged(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    etag = response.headers["etag"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_article_pages_are_cached_with_etag_and_last_modified(client: TestClient) -> None:
    raw = client.get(ARTICLE, headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.headers["last-modified"].endswith("GMT")
    plain = client.get(ARTICLE, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["etag"] == raw.headers["etag"]
    assert client.get(ARTICLE, headers={"If-None-Match": raw.headers["etag"]}).status_code == 304
    since = {"If-Modified-Since": raw.headers["last-modified"]}
    assert client.get(ARTICLE, headers=since).status_code == 304
    assert client.head(ARTICLE).status_code == 200


def test_an_edited_question_is_rendered_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("healthqa.search.index.REFRESH_EVERY", 0.0)
    monkeypatch.setattr("healthqa.search.index.REFRESH_EVERY", 0.0)
    with demo_site(tmp_path) as client:
        url = "/q/hostile-1/is-script-alert-x-script-a-rash"
        first = client.get(url)
        assert first.status_code == 200
        assert len(site_of(client).articles) == 1
        edited = dict(EXTRA[2], answers=[{"body": "A brand new answer."}])
        (tmp_path / "edit.jsonl").write_text(json.dumps(edited))
        import_jsonl(site_of(client).engine, tmp_path / "edit.jsonl")
        second = client.get(url)
        assert "A brand new answer." in second.text
        assert second.headers["etag"] != first.headers["etag"]
