"""Text screening: real questions pass untouched, spam is held, personal data is masked."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from healthqa.formats.liveqa import read_questions
from healthqa.screening import (
    Hit,
    SpamRulesError,
    TooManyLinks,
    load_spam_rules,
    mask_personal,
    screen,
)
from tests.data import shared

# ---- the real data ------------------------------------------------------------------------------


def liveqa_questions(folder: Path) -> list[tuple[str, str, list[str]]]:
    """(subject, message, focus annotations) of every LiveQA training question."""
    return [
        (q.subject, q.message, [sub.focus for sub in q.sub_questions if sub.focus])
        for q in read_questions(folder)
    ]


@pytest.fixture(scope="module")
def liveqa() -> list[tuple[str, str, list[str]]]:
    return liveqa_questions(shared("liveqa-med-train"))


@pytest.fixture(scope="module")
def mqp() -> list[str]:
    """The 1,524 patient questions of Medical Question Pairs and the doctors' 3,048 rewrites."""
    with shared("mqp.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return sorted({text for row in rows for text in row[1:3]})


MQP_PHONE = "908-405-0112"  # the data set's one phone number: "Can you call me at ...?"


def spam_among(texts: list[str]) -> list[tuple[str, float, list[str]]]:
    found = []
    for text in texts:
        result = screen(text)
        if result.is_spam:
            found.append((text[:80], result.spam_score, [hit.reason for hit in result.hits]))
    return found


def test_real_question_titles_are_not_spam_and_nothing_is_masked(
    liveqa: list[tuple[str, str, list[str]]], mqp: list[str]
) -> None:
    short = [q for q in mqp if len(q) < 90 and MQP_PHONE not in q]  # the phone: tested below
    titles = [subject for subject, _, _ in liveqa if subject] + short
    assert len(titles) >= 40
    assert spam_among(titles) == []
    assert [(t, screen(t).masked) for t in titles if screen(t).masked] == []


def test_real_questions_in_full_are_not_spam(
    liveqa: list[tuple[str, str, list[str]]], mqp: list[str]
) -> None:
    messages = [message for _, message, _ in liveqa if message]
    assert len(messages) + len(mqp) > 4_000
    assert spam_among(messages + mqp) == []  # false positives: 0 of 446 + 4,567


def test_masking_keeps_the_medical_content_of_liveqa(
    liveqa: list[tuple[str, str, list[str]]],
) -> None:
    lost = []
    for _, message, foci in liveqa:
        masked, _ = mask_personal(message)
        assert mask_personal(masked) == (masked, ())
        lost += [
            f for f in foci if f.lower() in message.lower() and f.lower() not in masked.lower()
        ]
    assert lost == []


def test_liveqa_names_and_contacts_are_masked(liveqa: list[tuple[str, str, list[str]]]) -> None:
    # File 2 was published with people's own names, e-mail addresses and phone numbers in it.
    masked = {mask_personal(message)[0] for _, message, _ in liveqa}
    assert any(t.startswith("hi my name is [name removed] I'm currently") for t in masked)
    assert any(t.endswith("thanks [name removed]") for t in masked)
    assert any("Call me @ either [phone removed], or [phone removed]" in t for t in masked)
    assert any(t.endswith("[name removed]  [email removed]") for t in masked)


def test_doctors_questions_have_no_phone_address_or_id_numbers(mqp: list[str]) -> None:
    kinds = {text: mask_personal(text)[1] for text in mqp}
    phone = {text for text, masked in kinds.items() if "phone" in masked}
    assert phone == {text for text in mqp if MQP_PHONE in text}
    assert [text for text, masked in kinds.items() if set(masked) - {"phone"}] == []


# ---- spam ---------------------------------------------------------------------------------------

SPAM = [
    "Buy cheap Viagra online without prescription!!! Visit www.bestpills.shop today",
    "Trusted online pharmacy: tramadol, xanax, oxycodone with overnight delivery, no prescription"
    " needed. www.rxdeals.ru",
    "Generic Cialis 20mg $0.99 per pill, order now at cheap-meds-store.com",
    "Best online casino 2024: free spins and no deposit bonus at luckyspin.xyz",
    "Hey guys check out the best sports betting tips at bet-king.io, huge jackpot every day",
    "I made $5000 a week with bitcoin investment, contact Mr James on WhatsApp +1 (555) 201-3344",
    "Join my telegram @cryptoking for daily forex signals and passive income",
    "Dr Okosun the great spell caster cured my herpes with herbal medicine, contact him on whatsapp"
    " +234 803 123 4567",
    "I was diagnosed with HIV in 2015. Dr. Ogun the herbalist cured me completely, I am now HIV"
    " negative. Email him at drogun@gmail.com",
    "Thanks to Dr Zuma the powerful spell caster who brought my husband back. Email:"
    " zumaspell@gmail.com",
    "We provide high quality backlinks and SEO services to rank your website on Google.",
    "Need help with your nursing essay? Our essay writing service delivers in 24 hours. Order now!",
    "Do you need an urgent loan? We offer personal loans at 2% interest, contact us via email"
    " loans@fastcash.biz",
    "CLICK HERE TO GET YOUR FREE TRIAL OF KETO DIET PILLS NOW!!!!!",
    "Limited offer!!! 70% off all supplements, use code HEALTH70 at https://supps.online/deal",
    "Call now for a miracle cure for diabetes, 100% natural, money back guarantee. 1-800-555-0199",
    "BUY BUY BUY the best weight loss pills!!!!!! lose 30 pounds in 10 days",
    "Hot singles in your area, adult dating www.meetnow.xyz",
]

REAL_QUESTIONS = [
    "viagra side effects?",
    "Is cannabis safe in pregnancy?",
    "Can I buy Viagra online without a prescription?",
    "Where can I buy cheap generic Viagra without a prescription?",
    "Is generic Cialis as effective as the brand for erectile dysfunction?",
    "My husband takes sildenafil 50 mg. Can he take it with amlodipine 5 mg?",
    "Is there a herbal cure for herpes?",
    "Is there a permanent cure for HIV yet?",
    "My husband is addicted to online casino games and can't sleep",
    "I lost my savings in crypto trading and now I have panic attacks every day",
    "Is it safe to buy medicine from an online pharmacy?",
    "PLEASE HELP!!! MY BABY HAS A FEVER OF 39 AND WON'T EAT ANYTHING",
    "Help help help. I can't stop itching!!!!!!!!",
    "Can I get amoxicillin without a prescription for a tooth infection?",
    "My GP sent me this leaflet: https://www.nhs.uk/conditions/shingles/ is it contagious?",
]


@pytest.mark.parametrize("text", SPAM)
def test_spam_is_held(text: str) -> None:
    result = screen(text)
    assert result.is_spam, [hit.reason for hit in result.hits]


@pytest.mark.parametrize("text", REAL_QUESTIONS)
def test_health_words_alone_are_not_spam(text: str) -> None:
    result = screen(text)
    assert not result.is_spam, [hit.reason for hit in result.hits]


def test_hits_say_why_for_moderators() -> None:
    result = screen("Buy now, limited offer: www.pills.shop")
    assert result.hits == (
        Hit("sales.buy_now", 2.0, "sales language: 'buy now'"),
        Hit("sales.limited_offer", 2.0, "sales language: 'limited offer'"),
        Hit("form.links", 1.0, "links in a question: 1 link(s)"),
    )
    assert (result.spam_score, result.hold, result.is_spam) == (5.0, 3.0, True)


def test_answers_may_cite_sources() -> None:
    answer = (
        "See https://www.nhs.uk/conditions/shingles/, https://www.cdc.gov/shingles/ and "
        "medlineplus.gov; the vaccine is described at www.who.int/vaccines."
    )
    assert screen(answer, kind="answer").spam_score == 0
    assert screen(answer, kind="answer").links == 3


# ---- links --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see https://a.org/x and www.b.com and shop.example.xyz/deal", 3),
        ("http://localhost:8000/page", 1),
        ("try example.com/cures or EXAMPLE.NET", 2),
        ("e.g. i.e. 3.5 mg. 500mg. Dr.Jones etc.", 0),
        ("write to jane@example.com", 0),  # an e-mail address is not a link
        ("I read it on ClinicalTrials.gov", 0),  # .gov is not in the spam-prone list
    ],
)
def test_links_are_counted(text: str, links: int) -> None:
    assert screen(text, kind="answer").links == links


def test_a_question_with_three_links_is_refused() -> None:
    text = "see a.com, b.net and https://c.org"
    with pytest.raises(TooManyLinks, match="3 links found in this question; at most 2"):
        screen(text)
    assert screen(text, kind="answer").links == 3


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="kind must be one of \\['answer', 'question'\\]"):
        screen("hello", kind="comment")


# ---- personal data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked", "kinds"),
    [
        ("My name is Jane Doe and I have a rash.", "My name is [name removed] and I have a rash.",
         ("name",)),
        ("I'm John Smith and I have gout", "I'm [name removed] and I have gout", ("name",)),
        ("I am Maria Garcia, 45, with asthma", "I am [name removed], 45, with asthma", ("name",)),
        ("Is this normal? Thanks, Jane Doe", "Is this normal? Thanks, [name removed]", ("name",)),
        ("Any advice?\nRegards,\nJohn Smith", "Any advice?\nRegards,\n[name removed]", ("name",)),
        ("my son Tom Brown has a fever", "my son [name removed] has a fever", ("name",)),
        ("my daughter, Emma, has eczema", "my daughter, [name removed], has eczema", ("name",)),
        ("Email me at jane.doe@example.com", "Email me at [email removed]", ("email",)),
        ("Call (555) 123-4567 or 555-123-4567", "Call [phone removed] or [phone removed]",
         ("phone",)),
        ("London +44 20 7946 0958, mobile 07700 900123",
         "London [phone removed], mobile [phone removed]", ("phone",)),
        ("whatsapp +2348031234567 now", "whatsapp [phone removed] now", ("phone",)),
        ("I live at 123 Main Street, Apt 4B, Springfield",
         "I live at [address removed], Springfield", ("address",)),
        ("write to PO Box 42", "write to [address removed]", ("address",)),
        ("SSN 123-45-6789, NHS number 943 476 5919",
         "SSN [id-number removed], NHS number [id-number removed]", ("id-number",)),
        ("NI number AB 12 34 56 C", "NI number [id-number removed]", ("id-number",)),
        ("member ID: W123456789", "member ID: [id-number removed]", ("id-number",)),
        ("NHS no. 9434765919", "NHS no. [id-number removed]", ("id-number",)),
        ("I'm Jane Doe, jane@x.org, 555-123-4567",
         "I'm [name removed], [email removed], [phone removed]", ("email", "name", "phone")),
    ],
)  # fmt: skip
def test_personal_data_is_masked(text: str, masked: str, kinds: tuple[str, ...]) -> None:
    assert mask_personal(text) == (masked, kinds)
    assert mask_personal(masked) == (masked, ())  # masking twice is masking once


@pytest.mark.parametrize(
    "text",
    [
        "I'm 34 and took 500 mg twice a day, then 2 x 10 ml since 2019",
        "BP 140/90 on 12/03/2021 and 2021-03-12, temperature 38.5C (101.3 F)",
        "HbA1c 6.5%, platelets 150,000, LDL 3.2 mmol/L, glucose 126 mg/dL, TSH 4.5",
        "Dose 250-1000 mg for 10-12 days, 1-2 tablets, weight 192.9 lbs, height 5'10\"",
        "I'm Diabetic and I am Pregnant",
        "I Am Very Worried About My Son",
        "I walked 2 Miles Down The Road and my knee swelled",
        "Please help me. Thank you Doctor",
        "Does Addison's disease cause fatigue? Thanks",
        "Patient no. 2 was given 40 mg at 10:30",
    ],
)
def test_numbers_and_medical_words_are_not_personal_data(text: str) -> None:
    assert mask_personal(text) == (text, ())


def test_screen_publishes_the_masked_text() -> None:
    result = screen("My name is Jane Doe, call me on 555-123-4567. Is 140/90 high?")
    assert result.text == "My name is [name removed], call me on [phone removed]. Is 140/90 high?"
    assert result.masked == ("name", "phone")


def test_the_askers_own_names_are_masked_in_any_case() -> None:
    text = "hello, jdoe88 here. Jane  doe again: is my rash shingles?"
    masked, kinds = mask_personal(text, names=["jdoe88", "Jane Doe", " "])
    assert (masked, kinds) == ("hello, [name removed] here. [name removed] again: is my rash "
                               "shingles?", ("name",))  # fmt: skip


# ---- the rules file -----------------------------------------------------------------------------


def test_bundled_rules_say_where_they_come_from() -> None:
    rules = load_spam_rules()
    assert (rules.hold, rules.link_limits) == (3.0, {"question": 2, "answer": 8})
    ids = [rule.id for rule in rules.rules]
    assert len(ids) == len(set(ids)) > 20
    assert all(rule.source and rule.reason for rule in rules.rules)
    assert load_spam_rules() is rules  # read once


def test_a_site_rules_file_replaces_the_bundled_one(tmp_path: Path) -> None:
    path = tmp_path / "spam.toml"
    path.write_text(
        """
hold = 1.0
[links]
question = 0
answer = 1
[[rule]]
id = "local.flowers"
pattern = '\\bflower delivery\\b'
weight = 1.0
reason = "florist spam"
source = "our moderators"
"""
    )
    rules = load_spam_rules(path)
    assert screen("Same-day flower delivery!", rules=rules).is_spam
    assert not screen("Buy now, limited offer", rules=rules).is_spam  # bundled rules not used
    with pytest.raises(TooManyLinks, match="1 links found in this question; at most 0"):
        screen("see example.com", rules=rules)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("pattern = '(unclosed'", "rule 1 \\(x\\): invalid pattern"),
        ("measure = 'vibes'", "rule 1 \\(x\\): measure must be one of links"),
        ("pattern = 'a'\nweigth = 2", "rule 1 \\(x\\): unknown field\\(s\\) weigth"),
        ("pattern = 'a'\nkinds = ['comment']", "rule 1 \\(x\\): kinds must be a list of answer"),
    ],
)
def test_a_broken_rules_file_names_file_and_rule(tmp_path: Path, rule: str, message: str) -> None:
    path = tmp_path / "spam.toml"
    base = 'hold = 3\n[links]\nquestion = 2\nanswer = 8\n[[rule]]\nid = "x"\nweight = 1\n'
    path.write_text(base + 'reason = "r"\nsource = "s"\n' + rule + "\n")
    with pytest.raises(SpamRulesError, match=f"spam.toml: {message}"):
        load_spam_rules(path)
