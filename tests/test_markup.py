"""healthqa.people.markup: Markdown answers rendered safe, checked by parsing the HTML made."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from healthqa.people.markup import MAX_MARKDOWN, TAGS, plain_blocks, plain_text, render_markdown

REL = "nofollow ugc noopener"


class Elements(HTMLParser):
    """Every start tag of an HTML fragment, with its attributes, as a browser would read them."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "![x](javascript:alert(1))",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x][1]\n\n[1]: javascript:alert(1)",
    "<a href='javascript:alert(1)'>x</a>",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/png;base64,AAAA)",
    "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    '[x](http://ok.example "\\" onmouseover=alert(1) x=\\"")',
    "<div onclick=alert(1)>hi</div>",
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example></iframe><style>body{display:none}</style>",
    "**<script>alert(1)</script>**",
    "[<img src=x onerror=alert(1)>](http://ok.example)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
    "> - *[x](javascript:alert(1))*\n>   ```\n>   <script>\n>   ```",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_comes_out_harmless(text: str) -> None:
    html = render_markdown(text)

    assert "<script" not in html.lower()
    for tag, attrs in Elements(html).found:
        assert tag in TAGS
        assert not [name for name in attrs if name.startswith("on")]
        href = attrs.get("href")
        if href is not None:
            assert urlsplit(href).scheme in {"", "http", "https", "mailto"}


def test_typed_html_is_shown_as_text() -> None:
    html = render_markdown("Take <b>two</b> & <script>alert(1)</script>")

    assert (
        html == "<p>Take &lt;b&gt;two&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )


def test_refused_links_stay_as_their_text() -> None:
    # The reader still sees what the writer typed; only the link is not made.
    assert render_markdown("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>\n"


def test_html_entities_are_decoded_once_and_escaped() -> None:
    assert render_markdown("&copy; &amp; &#x3C;b&#x3E;") == "<p>© &amp; &lt;b&gt;</p>\n"


def test_images_become_links() -> None:
    html = render_markdown("![a rash](https://example.org/rash.png)")

    assert "<img" not in html
    assert html == f'<p>!<a href="https://example.org/rash.png" rel="{REL}">a rash</a></p>\n'


def test_links_keep_href_and_title_and_get_rel() -> None:
    html = render_markdown('[NHS](https://www.nhs.uk "NHS site") [mail](mailto:gp@example.org)')

    assert Elements(html).found == [
        ("p", {}),
        ("a", {"href": "https://www.nhs.uk", "title": "NHS site", "rel": REL}),
        ("a", {"href": "mailto:gp@example.org", "rel": REL}),
    ]


def test_autolinks_and_relative_links_get_rel() -> None:
    html = render_markdown("<https://medlineplus.gov> and [see also](/questions/12)")

    assert [attrs for tag, attrs in Elements(html).found if tag == "a"] == [
        {"href": "https://medlineplus.gov", "rel": REL},
        {"href": "/questions/12", "rel": REL},
    ]


def test_headings_never_outrank_the_page() -> None:
    html = render_markdown("# One\n## Two\n### Three\n#### Four\n###### Six")

    assert html == "<h3>One</h3>\n<h4>Two</h4>\n<h5>Three</h5>\n<h6>Four</h6>\n<h6>Six</h6>\n"


def test_tables_are_kept() -> None:
    html = render_markdown("| Dose | Times |\n|---|---|\n| 5 ml | 3 |")

    assert [tag for tag, _ in Elements(html).found] == [
        "table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td",
    ]  # fmt: skip
    assert "<td>5 ml</td>" in html


def test_nested_markup_is_kept() -> None:
    text = "> - **Rest** and *~~no~~ fluids* `x<y`\n>   1. then\n\n---\n\n```\na < b\n```"

    assert render_markdown(text) == (
        "<blockquote>\n<ul>\n<li><strong>Rest</strong> and <em><del>no</del> fluids</em> "
        "<code>x&lt;y</code>\n<ol>\n<li>then</li>\n</ol>\n</li>\n</ul>\n</blockquote>\n"
        "<hr>\n<pre><code>a &lt; b\n</code></pre>\n"
    )


def test_long_input_is_cut_to_max_markdown() -> None:
    text = "a" * (MAX_MARKDOWN - 1) + "bcdef"

    assert plain_text(text) == "a" * (MAX_MARKDOWN - 1) + "b"


def test_plain_text_drops_markup_and_collapses_space() -> None:
    text = "## Fever\n\nTake **paracetamol**,  see [NHS](https://www.nhs.uk).\n\n- rest\n- drink"

    assert plain_text(text) == "Fever Take paracetamol, see NHS. rest drink"


def test_plain_blocks_keep_each_paragraph_heading_and_list_item_apart() -> None:
    text = "## Fever\n\nTake **paracetamol**,\nsee [NHS](https://www.nhs.uk).\n\n- rest\n- drink"

    assert plain_blocks(text) == ["Fever", "Take paracetamol, see NHS.", "rest", "drink"]
    assert " ".join(plain_blocks(text)) == plain_text(text)
    assert plain_blocks("5 &lt; 6 & <b>bold</b>") == ["5 < 6 & <b>bold</b>"]
    assert plain_blocks("  \n ") == []


def test_plain_text_is_text_not_html() -> None:
    # Entities decoded, typed tags kept as typed: whoever displays it must escape it.
    assert plain_text("5 &lt; 6 & <b>bold</b>") == "5 < 6 & <b>bold</b>"


def test_empty_input() -> None:
    assert render_markdown("") == ""
    assert plain_text("  \n ") == ""
