"""Templates: one Jinja2 environment with autoescape on for every template, the filters the
pages use, the limits and choices the forms offer (`limits`, `flag_reasons`: the library's own,
so a form never disagrees with the check behind it), and the structured data search engines
read (schema.org JSON-LD, built in `structured.py`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

from healthqa.ingest.records import LIMITS as RECORD_LIMITS
from healthqa.people import limits
from healthqa.people.moderating import FLAG_REASONS
from healthqa.search import ask
from healthqa.web import i18n, text
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


def thousands(n: int) -> str:
    return f"{n:,}"


# Dates and counts as each language writes them: "6 de enero de 2025", "2025年1月6日"; "12.345".
DATE_FORMATS = {"es": "d 'de' MMMM 'de' y", "zh": "y年M月d日"}


def _localised(language: str) -> dict[str, Any]:
    """The filters that write dates and numbers, for `language`. Babel takes some 20 µs a
    number, and a page repeats the same ones (the topics' counts): they are remembered."""
    if language == i18n.DEFAULT:
        return {"day": day, "thousands": thousands}

    @lru_cache(maxsize=4096)
    def localised_day(when: datetime) -> str:
        return str(format_date(when, DATE_FORMATS[language], locale=language))

    @lru_cache(maxsize=4096)
    def localised_thousands(n: int) -> str:
        return str(format_decimal(n, locale=language))

    return {"day": localised_day, "thousands": localised_thousands}


def json_script(data: Any) -> Markup:
    """JSON safe inside <script>: no '<', '>' or '&' can close the element or open a comment."""
    dumped = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        dumped = dumped.replace(char, escaped)
    dumped = dumped.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(dumped)  # noqa: S704 - every character that matters in HTML is escaped above


class Pretranslated(Extension):
    """Translates `_("text")` and `_("text %(x)s", x=...)` when a template is compiled, in the
    environment's language: through Jinja2's own gettext each cost 20 µs a render (three
    context calls), against under 1 µs for plain text. `_("text")` becomes
    `("translated" | safe)`, which Jinja2 folds into the template's text; with values,
    `("translated" | safe) | format(x=...)`, which escapes the values as gettext does (Markup's
    %). Babel still extracts the texts from the source. (Not for `_("a") ~ "b"`: Jinja2 would
    fold that concatenation of constants into plain text and escape the markup.)

    In English, where they do nothing, `| translate` and `{{ english }}` are dropped, so an
    English page costs what it did before the catalogs."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        translate: Callable[[str], str] = getattr(self.environment, "pretranslate")  # noqa: B009
        english: bool = getattr(self.environment, "source_language")  # noqa: B009
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            if _is_gettext_call(tokens, i):
                yield from _translated(tokens, i, translate)
                i += 4
            elif english and _is_english_no_op(tokens, i):
                i += 2 if tokens[i].type == "pipe" else 3
            else:
                yield tokens[i]
                i += 1


def _is_gettext_call(tokens: list[Token], i: int) -> bool:
    """Whether tokens[i:] open `_("literal")` or `_("literal", ...`."""
    return (
        tokens[i].test("name:_")
        and i + 3 < len(tokens)
        and (i == 0 or tokens[i - 1].type != "dot")
        and tokens[i + 1].type == "lparen"
        and tokens[i + 2].type == "string"
        and tokens[i + 3].type in ("rparen", "comma")
    )


def _translated(tokens: list[Token], i: int, translate: Callable[[str], str]) -> Iterator[Token]:
    """The tokens that replace the four of `_("literal")` or `_("literal",` at tokens[i]."""
    line, text = tokens[i].lineno, translate(tokens[i + 2].value)
    constant = tokens[i + 3].type == "rparen"
    yield Token(line, "lparen", "(")
    yield Token(line, "string", text % {} if constant else text)
    yield from (Token(line, "pipe", "|"), Token(line, "name", "safe"))
    yield Token(line, "rparen", ")")
    if not constant:  # the values and the closing parenthesis follow
        yield from (Token(line, "pipe", "|"), Token(line, "name", "format"))
        yield Token(line, "lparen", "(")


def _is_english_no_op(tokens: list[Token], i: int) -> bool:
    """Whether tokens[i:] open `| translate` (no arguments) or `{{ english }}`."""
    ahead = [t.type if t.type != "name" else f"name:{t.value}" for t in tokens[i : i + 3]]
    return ahead[:2] == ["pipe", "name:translate"] and ahead[2:] != ["lparen"] or ahead == [
        "variable_begin", "name:english", "variable_end"
    ]  # fmt: skip


def environment(language: str = i18n.DEFAULT, *, pretranslated: bool = True) -> Environment:
    """The templates in `language`: its catalog behind `_()` (translated at compile time unless
    not `pretranslated`: the reference the tests compare with) and the `translate` filter (for
    texts from data files, such as topic names), and `lang`, `html_lang`, `languages` (the
    switch) and `english` (the lang attribute of English text on a page in another language)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n", *([Pretranslated] if pretranslated else [])],
    )
    catalog = i18n.translations(language)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    env.extend(pretranslate=catalog.gettext, source_language=language == i18n.DEFAULT)
    env.filters.update(
        blocks=text.blocks,
        highlight=text.highlight,
        iso=text.iso,
        json_script=json_script,
        translate=catalog.gettext,  # a plain str, escaped like any other value
        **_localised(language),
    )
    env.globals.update(
        static=static,
        site_name=SITE_NAME,
        structured_data=structured_data,
        limits=FORM_LIMITS,
        flag_reasons=FLAG_REASONS,
        lang=language,
        html_lang=i18n.HTML_LANG[language],
        languages=[(code, i18n.HTML_LANG[code], i18n.NAMES[code]) for code in i18n.LANGUAGES],
        english=Markup("") if language == i18n.DEFAULT else Markup(' lang="en"'),
    )
    return env


# One environment a language, made when the language is first asked for: each compiles and
# keeps its own templates, so a page costs the same in every language.
ENVS: dict[str, Environment] = {i18n.DEFAULT: environment()}
# Pages for the site's staff (experts, moderators, admins) stay in English: they work on the
# English knowledge base, and these pages are not in the catalogs.
ENGLISH_ONLY = frozenset(
    {
        "account.html", "admin_users.html", "api_docs.html", "audit.html", "expert_answer.html",
        "expert_profile.html", "expert_queue.html", "expert_tools.html", "moderate.html",
        "moderate_experts.html", "feed.atom", "robots.txt",
    }
)  # fmt: skip


def env_for(language: str) -> Environment:
    if language not in ENVS:
        ENVS[language] = environment(language)  # a race makes two, and one wins: harmless
    return ENVS[language]


def render(template: str, language: str = i18n.DEFAULT, **context: Any) -> str:
    """`template` in `language` (English for the staff pages)."""
    if template in ENGLISH_ONLY:
        language = i18n.DEFAULT
    return env_for(language).get_template(template).render(**context)
