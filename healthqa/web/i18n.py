"""The pages' languages: English (the default), Spanish and Chinese (Simplified).

Every fixed text a reader sees goes through gettext: `{{ _("...") }}` in the templates, `N_` to
mark a text in Python that is translated where it is shown. The catalogs are the .po files under
`locale/`, read with Babel when a language is first used and kept for the life of the process, so
that no compiled .mo file can fall behind its .po (docs/web.md says how to update them).

A reader's language is the one they chose with the switch on every page (a cookie), else the
first of their browser's Accept-Language that the site speaks, else English."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

LANGUAGES = ("en", "es", "zh")
DEFAULT = "en"
COOKIE = "lang"
COOKIE_SECONDS = 365 * 24 * 3600
# What <html lang> says: Chinese is written in simplified characters here.
HTML_LANG = {"en": "en", "es": "es", "zh": "zh-Hans"}
# Each language's name in itself, for the switch.
NAMES = {"en": "English", "es": "Español", "zh": "中文"}
LOCALE = Path(__file__).with_name("locale")
# A path on this site (never "//other.site" or "/\\other.site"), with no spaces or control
# characters, which browsers drop and would turn into another address.
SAFE_PATH = re.compile(r"/(?![/\\])[^\s\x00-\x1f\x7f\\]*")
# The data files whose texts readers see on the pages (babel.cfg extracts them): under which
# top-level key ("" for the whole file), which fields (a string, or a list of strings).
TOML_TEXTS = {
    "contacts.toml": ("country", ("emergency", "urgent", "crisis")),  # the urgent-care advice
    "topics.toml": ("topic", ("name", "description")),
    "question_types.toml": ("", ("shown",)),  # locale/question_types.toml
}


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Marks `message` for the catalogs; it is translated where it is shown."""
    return message


@cache
def translations(language: str) -> Translations:
    """The catalog of `language` (English has none: its texts are the msgids)."""
    if language == DEFAULT:
        return Translations()
    path = LOCALE / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(language: str, message: str) -> str:
    """`message` in `language`, or as it is when the catalog does not have it."""
    return str(translations(language).gettext(message))


def language_of(request: Request) -> str:
    """The reader's language: their choice on the switch, else their browser's. The API
    (under /api/) speaks English to every program."""
    if request.url.path.startswith("/api/"):
        return DEFAULT
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    return from_accept_language(request.headers.get("accept-language", ""))


def from_accept_language(header: str) -> str:
    """The most preferred of the site's languages in an Accept-Language header: es-MX is
    Spanish, zh, zh-CN, zh-TW and zh-Hant are Chinese (the site has only simplified
    characters, readable to many who prefer traditional), anything else is English."""
    best, best_q = DEFAULT, 0.0
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = _quality(params)
        if primary in LANGUAGES and q > best_q and q > 0:
            best, best_q = primary, q - position * 1e-6  # equal q: the first listed wins
    return best


def _quality(params: str) -> float:
    """The q of an Accept-Language item ('q=0.8'); 1 without one, 0 when it is unreadable."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def safe_path(target: str | None) -> str:
    """`target` when it is a path on this site, else the home page."""
    return target if target and SAFE_PATH.fullmatch(target) else "/"


def extract_toml(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for the data files that hold texts shown on pages: the triage contacts'
    advice, the topics' names and descriptions, the question types (`TOML_TEXTS` says which
    fields of which file)."""
    name = Path(getattr(fileobj, "name", "")).name
    under, fields = TOML_TEXTS.get(name, ("", ()))
    data = tomllib.load(fileobj)
    data = data.get(under, {}) if under else data
    seen: set[str] = set()
    for text in _strings(data, fields):
        if text not in seen:
            seen.add(text)
            yield 0, "", text, [f"{name}: {', '.join(fields)}"]


def extract_constants(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for the library's own texts that pages show as they are: the reading
    levels' labels and notes, and the reasons to report a question (the flag form)."""
    from healthqa.people.moderating import FLAG_REASONS
    from healthqa.reading import BANDS

    name = Path(getattr(fileobj, "name", "")).name
    texts = {
        "reading.py": [text for band in BANDS for text in (band.label, band.note)],
        "moderating.py": list(FLAG_REASONS.values()),
    }.get(name, [])
    for text in texts:
        yield 0, "", text, [f"healthqa/{name}"]


def _strings(data: Any, fields: tuple[str, ...]) -> Iterator[str]:
    """Every string value under one of `fields`, anywhere in a parsed TOML document."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in fields and isinstance(value, str):
                yield value
            elif key in fields and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str))
            else:
                yield from _strings(value, fields)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item, fields)
