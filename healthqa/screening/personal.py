"""Personal data a health site must not publish, found and masked in one text: e-mail
addresses, phone and identity numbers, street addresses, and the names people type about
themselves ("My name is Jane Doe", "my son Tom", "Thanks, John Smith"). docs/moderation.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache, partial
from pathlib import Path

_NAMES_PATH = Path(__file__).with_name("names.txt")


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
PHONE = re.compile(
    r"""(?<![\w/.,+-])            # not part of a word, URL, decimal, list or range
    (?: \+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}   # +44 20 7946 0958
      | (?:\b1[ .-])?(?:\(\d{3}\)[ .-]?|\b\d{3}[ .-])\d{3}[ .-]\d{4}        # (555) 123-4567
      | \b0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}                                   # 07700 900123
      | \b\d{10,13} )                                                        # 5551234567
    (?![\w/]|[.,-]\d)""",
    re.VERBOSE,
)
_ID_NUMBERS = (
    re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),  # US social security number
    re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),  # UK National Insurance
    # a number after its label: "NHS number 943 476 5919", "SSN: 123456789", "member ID W123..."
    re.compile(
        r"(?i:\b(?:nhs|ssn|sin|social\s+(?:security|insurance)|medicare|medicaid|insurance|policy"
        r"|member|patient|hospital|health\s+card|mrn|medical\s+record)"
        r"(?:\s+(?:number|no|id)\b\.?\s*(?:is\s*)?[:#]?\s*|\s*[:#]\s*))"
        r"(?P<id>[A-Za-z0-9]*\d[A-Za-z0-9]*(?:[ -][A-Za-z0-9]*\d[A-Za-z0-9]*)*)"
    ),
)
_ADDRESS = re.compile(
    r"\b\d{1,5}[A-Za-z]?\s+(?P<street>(?:(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th))\s+){1,3})"
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|way"
    r"|terrace|close|crescent|parkway|pkwy|highway|hwy|circle|square)\b\.?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*#?\s*\w+)?|\bP\.?\s?O\.?\s+Box\s+\d+"
)

_WORD = r"[A-Za-z]+(?:-[A-Za-z]+)*(?:['’][A-Z][a-z]+)?"  # Jane, Smith-Jones, O'Brien; not Tom's
_TOKENS = rf"(?P<names>{_WORD}(?:[ \t]+{_WORD}){{0,2}})"  # up to three words on one line
_RELATIVES = (
    "son|daughter|husband|wife|partner|boyfriend|girlfriend|fianc[eé]e?|mother|mom|mum|father"
    "|dad|brother|sister|grandson|granddaughter|grandmother|grandma|grandfather|grandpa|uncle"
    "|aunt|nephew|niece|cousin|friend|baby|child|kid|stepson|stepdaughter"
)
_NAME_CUES = re.compile(
    r"(?:(?P<self>\bmy\s+name\s+is\s+|\bmy\s+name['’]?s\s+|\bname\s*:\s*)"
    r"|(?P<strong>\b(?-i:Mr|Mrs|Ms|Miss|Mx)\.?\s+)"
    r"|(?P<weak>(?:\bi['’]?m|\bi\s+am|\bthis\s+is|\bmy\s+(?:(?:little|baby|older|younger|eldest"
    rf"|oldest|youngest|late|dear)\s+)?(?:{_RELATIVES}))(?:\s*,\s*|\s+named\s+|\s+called\s+|\s+)))"
    rf"(?={_TOKENS})",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"(?:(?P<strong>\b(?:thanks|thank\s+you|thx|regards|best\s+wishes|sincerely|cheers"
    r"|god\s+bless|respectfully|yours\s+truly)\b(?:(?-i:[a-z \t']{0,40}?)[,.!:;\n-])?)"
    r"|[.!?\n]|\s{2})"
    rf"\s*{_TOKENS}[\s.!]*(?:\[(?:email|phone|address|id-number) removed\][\s.,;]*)*$",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"[A-Z][a-z]+(?:[-'’]?[A-Z][a-z]+)*")
# Words that follow "I'm", "my son" or "Thanks," but are not names (several are capitalised
# by people who type in Title Case or capitals).
_NOT_NAMES = frozenset(
    """a about after also am an and are as at be been but by can could did do does doctor dr
    for from god had has have he her here him his how i im in is it its just me miss mr mrs ms
    my no not now of on or our please she sir madam so that the their them then there they this
    to too very was we were what when where which who will with would yes you your hi hello
    dear thanks thank regards sent age aged years year old male female type diabetic pregnant
    nurse student patient suffering monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december""".split()
)


def mask_personal(text: str, names: Iterable[str] = ()) -> tuple[str, tuple[str, ...]]:
    """`text` with personal data replaced by "[email removed]", "[phone removed]" ...

    Returns the masked text and the kinds masked, sorted. `names` are names to mask wherever
    they occur, whatever the case (the asker's own display name, say). Masking twice changes
    nothing more than masking once.
    """
    kinds: set[str] = set()
    for kind, mask in (*_MASKS, ("name", lambda text: _mask_given_names(text, names))):
        if (masked := mask(text)) != text:
            kinds.add(kind)
            text = masked
    return text, tuple(sorted(kinds))


def is_phone(candidate: str) -> bool:
    """International numbers have 8-15 digits; national ones, 10 or more (a date has fewer)."""
    digits = sum(c.isdigit() for c in candidate)
    return 8 <= digits <= 15 if candidate.startswith("+") else 10 <= digits <= 13


def _id_number(match: re.Match[str]) -> str:
    if "id" not in match.groupdict():
        return "[id-number removed]"
    if sum(c.isdigit() for c in match["id"]) < 5:  # "patient no. 2" is not an identity number
        return match[0]
    return match[0][: match.start("id") - match.start()] + "[id-number removed]"


def _address(match: re.Match[str]) -> str:
    words = (match["street"] or "").lower().split()
    return match[0] if any(word in _NOT_NAMES for word in words) else "[address removed]"


def _phone(match: re.Match[str]) -> str:
    return "[phone removed]" if is_phone(match[0]) else match[0]


# The order matters: e-mail addresses first (they hold names and digits), identity numbers before
# phone numbers (an NHS number looks like a phone number), names last (cues such as "Thanks,"
# may be followed by a masked e-mail address).
_MASKS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("email", lambda text: EMAIL.sub("[email removed]", text)),
    *(("id-number", partial(pattern.sub, _id_number)) for pattern in _ID_NUMBERS),
    ("phone", lambda text: PHONE.sub(_phone, text)),
    ("address", lambda text: _ADDRESS.sub(_address, text)),
    ("name", lambda text: _mask_names(text)),
)


def _mask_given_names(text: str, names: Iterable[str]) -> str:
    for name in names:
        if parts := name.split():
            pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, parts)) + r"(?!\w)"
            text = re.sub(pattern, "[name removed]", text, flags=re.IGNORECASE)
    return text


def _mask_names(text: str) -> str:
    """Names people type about themselves: after a cue, or as a signature at the end."""
    spans = [
        _name_span(m, "self" if m["self"] else "strong" if m["strong"] else "weak")
        for m in _NAME_CUES.finditer(text)
    ]
    spans.append(_signature_span(text))
    for start, end in _merge(span for span in spans if span):
        text = text[:start] + "[name removed]" + text[end:]
    return text


def _signature_span(text: str) -> tuple[int, int] | None:
    """A name alone at the end, after "Thanks," or a sentence (the first candidate may be
    "thanks Jane" after a full stop, so each is tried)."""
    start = 0
    while match := _SIGNATURE.search(text, start):
        if span := _name_span(match, "strong" if match["strong"] else "weak", whole=True):
            return span
        start = match.start() + 1
    return None


def _name_span(match: re.Match[str], level: str, whole: bool = False) -> tuple[int, int] | None:
    """Where the name after the cue is: its first words that make a name; None if none do.
    With `whole`, every word after the cue must be part of the name."""
    words = list(re.finditer(r"\S+", match["names"]))
    length = _name_length([word[0] for word in words], level)
    if length == 0 or (whole and length < len(words)):
        return None
    return match.start("names"), match.start("names") + words[length - 1].end()


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans merged, last first (so replacing one keeps the others' positions)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged[::-1]


def _name_length(tokens: list[str], level: str) -> int:
    """How many of `tokens` make a name: a known first name (or, after a strong cue such as
    "my name is", any capitalised word) and up to two capitalised words after it."""
    first = tokens[0]
    if first.lower() in _NOT_NAMES:
        return 0
    shaped = bool(_CAPITALISED.fullmatch(first)) or (level == "self" and first.isupper())
    if first.lower() not in _first_names() and (level == "weak" or not shaped):
        return 0
    length = 1
    for token in tokens[1:]:
        surname = _CAPITALISED.fullmatch(token) or (token.isupper() and first.isupper())
        if not surname or token.lower() in _NOT_NAMES or len(token) < 2:
            break
        length += 1
    return length


@cache
def _first_names() -> frozenset[str]:
    lines = _NAMES_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(w.lower() for line in lines if not line.startswith("#") for w in line.split())
