"""Messages triage cannot read (healthqa.triage.language): they still get the emergency number
and a plain line saying they were not checked; empty and huge input is a clear error. Spanish
and Chinese, which triage reads with rules of their own, are in test_triage_languages.py."""

from __future__ import annotations

import pytest

from healthqa.triage import Level, MessageError, triage
from healthqa.triage.engine import MAX_CHARS
from healthqa.triage.language import readable


@pytest.mark.parametrize(
    "text",
    [
        "Mon bébé a de la fièvre depuis hier soir",
        "Mein Kind hat seit gestern hohes Fieber",
        "у меня сильная боль в груди",
        "???!!!",
        "😭😭😭",
    ],
)
def test_unreadable_messages_get_the_numbers_and_say_so(text: str) -> None:
    assert not readable(text)
    result = triage(text, country="GB")
    assert result.checked is False
    assert result.advice is not None and result.advice.action == "not_checked"
    assert result.advice.emergency_number == "999"
    assert "could not check" in result.advice.headline
    assert result.to_dict()["checked"] is False
    assert result.to_dict()["language"] is None


@pytest.mark.parametrize(
    "text", ["chest pain", "IUD put in 3 days ago, now fever 39", "what is a stroke?", "hi"]
)
def test_english_is_readable(text: str) -> None:
    assert readable(text)
    assert triage(text).checked


def test_empty_message_is_a_clear_error() -> None:
    for text in ("", "   \n\t "):
        with pytest.raises(MessageError, match="empty"):
            triage(text)


def test_huge_message_is_a_clear_error() -> None:
    with pytest.raises(MessageError, match="at most 100,000"):
        triage("a" * (MAX_CHARS + 1))


def test_long_but_allowed_message_is_triaged() -> None:
    story = "I have a question about my diet. " * 500 + "my face is drooping on one side now"
    assert triage(story).level is Level.EMERGENCY
