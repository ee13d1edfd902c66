"""The pages in Spanish and Chinese: the catalogs are complete and current, every main page
speaks the reader's language with no English text of the site's own left over, the reader's
choice sticks, and the page cache never hands one language's page to another's reader."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from healthqa.triage.advice import unchecked
from healthqa.web import i18n
from healthqa.web import render as templates
from healthqa.web.render import render
from tests.web import post_form

ROOT = Path(__file__).parents[1]
POT = i18n.LOCALE / "messages.pot"
TRANSLATED = ("es", "zh")
ARTICLE = "/q/demo-0025"  # answered, with related questions
EMERGENCY = "crushing chest pain and I cannot breathe"
MAIN_PAGES = [
    "/",
    "/topics",
    "/topics/heart-and-blood",
    ARTICLE,
    "/ask",
    "/ask?q=lower+back+pain+since+my+IUD",
    "/search?q=back+pain",
    "/search?q=zzzzqqqxx",
    "/signin",
    "/signup",
    "/reset",
    "/flag/question/demo-0025",
    "/no-such-page",
    "/topics/heart-and-blood?page=-1",  # a 400 page
]


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


# ----- the catalogs -----


def test_every_msgid_has_a_spanish_and_a_chinese_translation() -> None:
    wanted = {m.id for m in read(POT) if m.id}
    assert len(wanted) > 200
    for language in TRANSLATED:
        catalog = read(i18n.LOCALE / language / "LC_MESSAGES" / "messages.po", language)
        found = {m.id: m for m in catalog if m.id}
        assert set(found) == wanted, f"{language}: run pybabel update (docs/web.md)"
        for message in found.values():
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings) and not message.fuzzy, f"{language}: {message.id!r}"
        problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
        assert problems == [], f"{language}: placeholders differ: {problems}"


def test_messages_pot_is_current_with_the_templates_and_the_data_files() -> None:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(ROOT, method_map, options_map)
    extracted = {message for _, _, message, _, _ in found}
    current = {m.id for m in read(POT) if m.id}
    assert extracted == current, "run pybabel extract (docs/web.md: Languages)"


def test_the_translations_load_once_and_translate() -> None:
    assert i18n.translations("es") is i18n.translations("es")
    assert i18n.gettext("es", "This may be an emergency") == "Esto puede ser una emergencia"
    assert i18n.gettext("zh", "This may be an emergency") == "这可能是紧急情况"
    assert i18n.gettext("en", "This may be an emergency") == "This may be an emergency"
    assert i18n.gettext("es", "not in the catalog") == "not in the catalog"


# ----- choosing the language -----


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("", "en"),
        ("es", "es"),
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("zh-TW", "zh"),
        ("zh-Hant-HK;q=0.9, en;q=0.5", "zh"),
        ("en-GB,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR,fr;q=0.9", "en"),
        ("fr;q=1, es;q=0.5", "es"),
        ("es;q=0.3, zh;q=0.8", "zh"),
        ("es;q=0, de", "en"),
        ("es;q=bad", "en"),
        ("*", "en"),
    ],
)
def test_accept_language_picks_the_most_preferred_language_the_site_speaks(
    header: str, language: str
) -> None:
    assert i18n.from_accept_language(header) == language


def test_the_switch_remembers_the_choice_and_goes_back(client: TestClient) -> None:
    chosen = client.get("/language/zh?next=/topics", follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"] == "/topics"
    assert "lang=zh" in chosen.headers["set-cookie"]
    try:
        # the cookie wins over the browser's languages
        page = client.get("/topics", headers={"Accept-Language": "es"})
        assert '<html lang="zh-Hans">' in page.text and "<h1>主题</h1>" in page.text
    finally:
        client.cookies.delete(i18n.COOKIE)
    for unsafe in ("//evil.example/x", "/\\evil.example", "https://evil.example/", "/a b"):
        away = client.get("/language/es", params={"next": unsafe}, follow_redirects=False)
        assert away.headers["location"] == "/"
    client.cookies.delete(i18n.COOKIE)
    assert client.get("/language/fr", follow_redirects=False).status_code == 404


def test_every_page_links_to_each_language_back_to_itself(client: TestClient) -> None:
    page = client.get("/search?q=back+pain", headers={"Accept-Language": "es"}).text
    switch = lxml_html.fromstring(page).xpath("//nav[@class='languages']/a")
    assert [a.text for a in switch] == ["English", "Español", "中文"]
    assert [a.get("lang") for a in switch] == ["en", "es", "zh-Hans"]
    assert switch[1].get("aria-current") == "true"
    assert switch[2].get("href") == "/language/zh?next=/search%3Fq%3Dback%2Bpain"


# ----- the pages -----


def site_texts() -> list[str]:
    """Every English text of the site's own: its msgids (a piece of one left on a translated
    page is a miss)."""
    return [m.id for m in read(POT) if m.id and isinstance(m.id, str)]


def pieces(msgid: str) -> list[str]:
    """The runs of words of a msgid between placeholders and tags, long enough to mean
    something ("Source" alone could be a source's name)."""
    text = re.sub(r"<[^>]+>", "%", msgid.replace("\n  ", " "))
    runs = re.split(r"%\(\w+\)s|%", text)
    return [run.strip(" .,:;()") for run in runs if len(run.strip(" .,:;()").split()) >= 2]


def shown_text(page: str) -> str:
    """What a reader sees or hears of the site's own words: text and labels, less the parts
    marked as English (the stored questions and answers) and data for machines. The line under
    each of the ask page's results (`#results p.why`: its source, focus and reading level) is
    left out: it is written elsewhere and is not in the catalogs yet."""
    doc = lxml_html.fromstring(page)
    hidden = '//*[@lang="en"] | //script | //style | //*[@id="results"]//p[@class="why"]'
    for element in doc.xpath(hidden):
        element.drop_tree()
    labels = [v for attr in ("aria-label", "title", "placeholder") for v in doc.xpath(f"//@{attr}")]
    return " ".join([doc.text_content(), *map(str, labels)])


def untranslated(page: str, language: str) -> list[str]:
    text = re.sub(r"\s+", " ", shown_text(page))
    left = []
    for msgid in site_texts():
        translated = i18n.gettext(language, msgid)
        for piece in pieces(msgid):
            if piece in text and piece not in translated:
                left.append(piece)
    return left


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_main_pages_are_all_in_the_readers_language(client: TestClient, language: str) -> None:
    headers = {"Accept-Language": language}
    for url in MAIN_PAGES:
        response = client.get(url, headers=headers)
        assert response.status_code in (200, 400, 404), url
        tag = i18n.HTML_LANG[language]
        assert f'<html lang="{tag}">' in response.text, url
        assert untranslated(response.text, language) == [], url


@pytest.mark.parametrize("language", TRANSLATED)
def test_asking_shows_the_emergency_notice_and_says_the_answers_are_in_english(
    client: TestClient, language: str
) -> None:
    headers = {"Accept-Language": language}
    page = client.get("/ask", params={"q": EMERGENCY}, headers=headers).text
    notice = lxml_html.fromstring(page).xpath("//section[@class='urgent']")[0].text_content()
    assert i18n.gettext(language, "This may be an emergency") in notice
    assert i18n.gettext(language, "Do not wait for an answer online.") in notice
    assert untranslated(page, language) == []
    in_english = i18n.gettext(
        language,
        "The answers below are in English, as their source wrote them. Only this site's own "
        "words are translated.",
    )
    assert in_english in page
    article = client.get(ARTICLE, headers=headers).text
    assert in_english in article
    assert 'lang="en"' in article  # the English question and answer are marked so


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_message_that_could_not_be_checked_says_so_in_the_readers_language(
    language: str,
) -> None:
    html = render("_urgent.html", language, triage=SimpleNamespace(advice=unchecked()))
    assert i18n.gettext(language, "We could not check your message for urgent signs") in html
    assert "112" in html and "could not check" not in html


def test_the_private_page_and_sending_a_question_are_translated(client: TestClient) -> None:
    headers = {"Accept-Language": "es"}
    form = {"title": "Can my parrot catch my cold?", "details": "x"}
    sent = post_form(client, "/ask", form, headers=headers, follow_redirects=False)
    assert sent.status_code == 303
    private = client.get(sent.headers["location"], headers=headers).text
    assert "Su pregunta se ha enviado" in private
    assert untranslated(private, "es") == []


def test_english_pages_stay_english(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert page.startswith('<!doctype html>\n<html lang="en">')
    assert "Health questions, answered from trusted sources" in page
    article = client.get(ARTICLE).text
    assert "The answers below are in English" not in article
    # lang="en" only on <html> and on the switch's link to English
    assert len(re.findall(r'(?<![\w-])lang="en"', article)) == 2


def test_translating_at_compile_time_renders_what_jinjas_gettext_renders(
    client: TestClient,
) -> None:
    """`render.Pretranslated` folds each `_("...")` into the template; the pages must be
    exactly those of Jinja2's own gettext, in every language."""
    urls = [*MAIN_PAGES, f"/ask?q={EMERGENCY}", "/ask/matches?q=back+pain"]

    def pages() -> dict[tuple[str, str], str]:
        site_of_client = client.app.state.site  # type: ignore[attr-defined]
        site_of_client.articles._pages.clear()  # render the article again
        return {
            (language, url): re.sub(r'name="csrf" value="[^"]*"', "", client.get(
                url, headers={"Accept-Language": language}).text)
            for language in i18n.LANGUAGES for url in urls
        }  # fmt: skip

    folded = pages()
    kept = dict(templates.ENVS)
    try:
        for language in i18n.LANGUAGES:
            templates.ENVS[language] = templates.environment(language, pretranslated=False)
        reference = pages()
    finally:
        templates.ENVS.update(kept)
    assert [key for key in folded if folded[key] != reference[key]] == []


# ----- caching -----


def test_the_article_cache_keeps_one_page_a_language(client: TestClient) -> None:
    english = client.get(ARTICLE)
    spanish = client.get(ARTICLE, headers={"Accept-Language": "es"})
    client.cookies.set(i18n.COOKIE, "zh")
    try:
        chinese = client.get(ARTICLE)
    finally:
        client.cookies.delete(i18n.COOKIE)
    again = client.get(ARTICLE)
    assert 'lang="en"' in english.text[:40] and 'lang="es"' in spanish.text[:40]
    assert 'lang="zh-Hans"' in chinese.text[:40] and again.text == english.text
    assert len({english.headers["etag"], spanish.headers["etag"], chinese.headers["etag"]}) == 3
    for response in (english, spanish, chinese):
        assert "Accept-Language" in response.headers["vary"]
        assert "Cookie" in response.headers["vary"]
    # a browser's English copy is not current for a Spanish reader
    revalidated = client.get(
        ARTICLE, headers={"Accept-Language": "es", "If-None-Match": english.headers["etag"]}
    )
    assert revalidated.status_code == 200 and 'lang="es"' in revalidated.text[:40]


def test_the_as_you_type_results_follow_the_language(client: TestClient) -> None:
    matches = client.get("/ask/matches?q=back+pain", headers={"Accept-Language": "zh"})
    assert "与您类似的问题" in matches.text or "我们最接近的问题" in matches.text
    assert "Accept-Language" in matches.headers["vary"]
