"""Markdown for expert answers: rendered to HTML that is safe to put in a page, or to plain text.

Two layers, so a slip in one is caught by the other: markdown-it-py renders with raw HTML
turned off (typed tags come out as text), then nh3 keeps only the tags, attributes and URL
schemes an answer needs. No images: the site accepts no uploads and loads nothing remote.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from healthqa.people.limits import ANSWER_CHARS

MAX_MARKDOWN = ANSWER_CHARS  # characters; the rest of a longer text is dropped

# An answer sits under the page's own h1 and h2: its headings start at h3.
HEADING_SHIFT = 2

TAGS = frozenset(
    "p br strong em del code pre blockquote ul ol li h3 h4 h5 h6 a hr"
    " table thead tbody tr th td".split()
)

_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False})
    .enable(["table", "strikethrough"])
    # ![alt](url) then reads as "!" and a link, so the address stays visible and followable.
    .disable("image")
)

_cleaner = nh3.Cleaner(
    tags=set(TAGS),
    attributes={"a": {"href", "title"}},
    url_schemes={"http", "https", "mailto"},
    # ugc and nofollow: the links are written by users, not vouched for by the site.
    link_rel="nofollow ugc noopener",
)


def render_markdown(text: str) -> str:
    """HTML for `text` (Markdown, cut to MAX_MARKDOWN characters), safe to insert in a page."""
    tokens = _markdown.parse(text[:MAX_MARKDOWN])
    for token in tokens:
        _retag(token)
        for child in token.children or []:
            _retag(child)
    return _cleaner.clean(_markdown.renderer.render(tokens, _markdown.options, {}))


def plain_text(markdown: str) -> str:
    """The words of `markdown` without markup, on one line (for snippets and the search index).

    Plain text, not HTML: a typed "<b>" comes back as "<b>", so escape it before display.
    """
    without_tags = nh3.clean(render_markdown(markdown), tags=set())
    return re.sub(r"\s+", " ", html.unescape(without_tags)).strip()


def plain_blocks(markdown: str) -> list[str]:
    """The words of each paragraph, heading, list item and table cell of `markdown`, without
    markup, one string each (where a block ends a sentence ends: healthqa.reading)."""
    out = []
    for token in _markdown.parse(markdown[:MAX_MARKDOWN]):
        if token.type == "inline":
            words = "".join(
                " " if child.type.endswith("break") else child.content
                for child in token.children or []
            )
            out.append(" ".join(words.split()))
    return [block for block in out if block]


def _retag(token: Token) -> None:
    """Headings HEADING_SHIFT levels down; strikethrough as <del> (markdown-it writes <s>)."""
    if token.type in ("heading_open", "heading_close"):
        token.tag = f"h{min(int(token.tag[1]) + HEADING_SHIFT, 6)}"
    elif token.type in ("s_open", "s_close"):
        token.tag = "del"
