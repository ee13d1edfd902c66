"""Which language a message is in: clear cases, and the blind-written language set (its dev
split: the test split is for the answer engine's figures)."""

from __future__ import annotations

from collections import Counter

import pytest

from healthqa.language import detect
from healthqa.search.languages import read_set


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("lower back pain since my IUD was put in, what should I do?", "en"),
        ("chest pain", "en"),  # the model alone says French
        ("metformin", "en"),
        ("HbA1c 7.2", "en"),
        ("???", "en"),
        ("me duele la cabeza desde ayer", "es"),
        ("que es la presion alta", "es"),  # no accents, a coin toss for the model alone
        ("síntomas del síndrome de Apert", "es"),
        ("我的孩子发烧39度怎么办", "zh"),
        ("Apert综合征会遗传吗", "zh"),
        ("j'ai mal à la tête depuis hier soir", "fr"),
        ("Mein Kind hat seit zwei Tagen Fieber", "de"),
        ("頭が痛いです", "ja"),
    ],
)
def test_clear_cases(text: str, code: str) -> None:
    assert detect(text).code == code


def test_the_dev_messages_are_read_in_their_language() -> None:
    asked = read_set("dev")
    right = Counter(a.language for a in asked if detect(a.text).code == a.language)
    assert right["en"] == 100
    assert right["zh"] == 100
    assert right["es"] >= 96  # a few are a bare syndrome name with one Spanish word
