"""Text for the pages: slugs from titles, answers as paragraphs and lists, highlighted matches.

Answers are stored as plain text; nothing here ever passes stored text through as HTML.
`highlight` escapes first and only then wraps the matches in <mark>.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

SLUG_CHARS = 80
NOT_SLUG = re.compile(r"[^a-z0-9]+")
# MedQuAD writes lists inline: "Cancer can spread through:         - Tissue. ...     - Blood. ..."
LIST_MARK = re.compile(r"(?:^|\s{2,}|(?<=:)\s)-\s+")
HEADING_CHARS = 60


def sentence(message: object) -> str:
    """An error's message as a sentence for people: a capital first, a full stop last."""
    text = str(message).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def iso(when: datetime) -> str:
    """A time in ISO 8601 with its offset, for <time datetime> and JSON-LD (stored times
    without an offset are UTC)."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def slugify(title: str) -> str:
    """ASCII words of `title` joined by hyphens, at most 80 characters, cut between words."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = NOT_SLUG.sub("-", ascii_title.lower()).strip("-")
    if len(slug) > SLUG_CHARS:
        slug = slug[: SLUG_CHARS + 1].rsplit("-", 1)[0]
    return slug[:SLUG_CHARS].strip("-") or "question"


@dataclass(frozen=True)
class Block:
    """One block of an answer: a paragraph ("p"), a short heading ("h") or a list ("ul")."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()


def blocks(text: str) -> list[Block]:
    """An answer's plain text as paragraphs, headings and lists.

    Each non-blank line is a paragraph; "- " lines (and MedQuAD's inline " - " runs) are list
    items; a short line without closing punctuation that leads into more text is a heading."""
    lines = [line.strip() for line in text.splitlines()]
    out: list[Block] = []
    for i, line in enumerate(lines):
        if not line:
            continue
        lead, items = _split_list(line)
        if lead:
            follows = any(lines[i + 1 :]) or bool(items)
            out.append(Block("h" if _is_heading(lead) and follows else "p", lead))
        if items:
            if out and out[-1].kind == "ul" and not lead:
                out[-1] = Block("ul", items=out[-1].items + items)
            else:
                out.append(Block("ul", items=items))
    return out


def lines(text: str) -> list[str]:
    """An answer's paragraphs, headings and list items (`blocks`), one a string."""
    return [line for block in blocks(text) for line in block.items or (block.text,)]


def _split_list(line: str) -> tuple[str, tuple[str, ...]]:
    parts = LIST_MARK.split(line)
    if len(parts) == 1:
        return line, ()
    return parts[0].strip(), tuple(p.strip() for p in parts[1:] if p.strip())


def _is_heading(line: str) -> bool:
    return len(line) <= HEADING_CHARS and line[-1] not in ".:;,?!)\"'" and line[0].isupper()


def snippet(text: str, limit: int = 160) -> str:
    """The start of `text`, spaces collapsed, cut at a word with "…" when longer than `limit`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:-") + "…"


def passage(text: str, words: Sequence[str], limit: int = 240) -> str:
    """A stretch of `text` around the first of `words` it contains (else its start)."""
    text = " ".join(text.split())
    match = _pattern(words).search(text) if words else None
    if match is None or match.start() < limit // 3:
        return snippet(text, limit)
    start = text.rfind(" ", 0, match.start() - limit // 3) + 1
    return "…" + snippet(text[start:], limit)


def highlight(text: str, words: Sequence[str]) -> Markup:
    """`text` escaped, with each word that starts with one of `words` wrapped in <mark>."""
    if not words:
        return escape(text)
    out, last = [], 0
    for match in _pattern(words).finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>%s</mark>") % text[match.start() : match.end()])
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Words starting with any of `words` (so "pain" marks "painful"), longest first."""
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)
