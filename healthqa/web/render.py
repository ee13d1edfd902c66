"""Templates: one Jinja2 environment with autoescape on for every template, the filters the
pages use, the limits and choices the forms offer (`limits`, `flag_reasons`: the library's own,
so a form never disagrees with the check behind it), and the structured data search engines
read (schema.org JSON-LD, built in `structured.py`)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from healthqa.ingest.records import LIMITS as RECORD_LIMITS
from healthqa.people import limits
from healthqa.people.moderating import FLAG_REASONS
from healthqa.search import ask
from healthqa.web import text
from healthqa.web.structured import structured_data

HERE = Path(__file__).parent
STATIC = HERE / "static"
SITE_NAME = "healthqa"
# The limits forms render as maxlength and minlength, each read from where it is defined.
FORM_LIMITS: dict[str, int] = {
    **{name: value for name, value in vars(limits).items() if name.endswith("_CHARS")},
    "ASK_CHARS": ask.MAX_CHARS,  # what the search engine reads of a question
    "ID_CHARS": RECORD_LIMITS["id"],  # a question's id
}


def _asset_versions() -> dict[str, str]:
    """A short hash of each static file, added to its URL so browsers may cache it for long."""
    return {
        p.name: hashlib.blake2b(p.read_bytes(), digest_size=4).hexdigest()
        for p in STATIC.iterdir()
        if p.is_file()
    }


ASSETS = _asset_versions()


def static(name: str) -> str:
    return f"/static/{name}?v={ASSETS[name]}"


def day(when: datetime) -> str:
    """A date as a reader wants it: "6 January 2025"."""
    return f"{when.day} {when:%B %Y}"


def json_script(data: Any) -> Markup:
    """JSON safe inside <script>: no '<', '>' or '&' can close the element or open a comment."""
    dumped = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        dumped = dumped.replace(char, escaped)
    dumped = dumped.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(dumped)  # noqa: S704 - every character that matters in HTML is escaped above


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        blocks=text.blocks,
        highlight=text.highlight,
        day=day,
        iso=text.iso,
        json_script=json_script,
        thousands=lambda n: f"{n:,}",
    )
    env.globals.update(
        static=static,
        site_name=SITE_NAME,
        structured_data=structured_data,
        limits=FORM_LIMITS,
        flag_reasons=FLAG_REASONS,
    )
    return env


ENV = environment()


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)
