"""Triage in Spanish and Chinese (healthqa.triage.language, rules_es.toml, rules_zh.toml).

The examples below were written for these tests by the helper that wrote the rules, not taken
from the blind sets; the blind sets' dev halves are checked against their floors, and the test
halves only for their checksums.
"""

from __future__ import annotations

import hashlib

import pytest

from healthqa.triage import Level, restored, triage
from healthqa.triage.evaluate import DATA, LANGUAGE_TARGETS, below_floors, evaluate, load_blind
from healthqa.triage.language import language
from healthqa.triage.rules import default_rules, language_rules

E, U, R = Level.EMERGENCY, Level.URGENT, Level.ROUTINE

EXAMPLES = {
    "es": [
        ("mi esposo tiene un dolor muy fuerte en el pecho y esta sudando frio", E),
        ("a mi papa se le cayo la boca de un lado y no puede hablar bien", E),
        ("No puedo respirrar!!", E),
        ("mi hija de 3 semanas tiene fiebre de 38.2", E),
        ("Mi bebé de 15 días tiene fiebre", E),
        ("me tome 30 pastillas de paracetamol hace una hora, ya me siento bien", E),
        ("ya tengo la soga lista, esta es mi despedida", E),
        ("estoy embarazada de 8 semanas y estoy sangrando mucho", E),
        ("tengo ganas de morirme pero no tengo ningun plan", U),
        ("se me pusieron los ojos amarillos desde ayer", U),
        ("¿Cuáles son los síntomas de un infarto?", R),
        ("no tengo fiebre ni dolor de pecho, solo tos", R),
        ("mi abuelo tuvo un derrame cerebral hace 5 años, q ejercicios puede hacer?", R),
        ("este examen me esta matando jaja", R),
    ],
    "zh": [
        ("我爸突然胸口很痛 一直冒冷汗", E),
        ("奶奶说话含糊不清 嘴歪了", E),
        ("宝宝20天 发烧38.3度", E),
        ("新生儿20天 38度", E),  # a word touching a digit still matches
        ("孩子误吃了洗衣凝珠", E),
        ("我已经写好遗书了", E),
        ("喘不上气 嘴唇发紫", E),
        ("最近老想死 但是没有什么计划", U),
        ("眼白发黄 尿像浓茶一样", U),
        ("中风有什么症状？", R),
        ("不发烧 也不胸痛 就是有点咳嗽", R),
        ("我爸五年前心梗 现在能跑步吗", R),
        ("作业写不完 要累死了", R),
        ("血糖12.5 有点高", R),  # not a blood sugar of 2.5
    ],
}


@pytest.mark.parametrize(
    ("code", "text", "level"),
    [(code, text, level) for code, examples in EXAMPLES.items() for text, level in examples],
)
def test_examples_get_their_level_in_their_language(code: str, text: str, level: Level) -> None:
    result = triage(text, country="ES" if code == "es" else "CN")
    assert (result.level, result.language, result.checked) == (level, code, True)
    if level is E:
        assert result.advice is not None
        assert result.advice.action in ("call_emergency", "crisis_line")


def test_a_farewell_leads_with_the_crisis_line() -> None:
    for text in ("ya tengo la soga lista, esta es mi despedida", "我已经写好遗书了"):
        result = triage(text, country="US")
        assert any(flag.crisis for flag in result.flags)
        assert result.advice is not None and result.advice.crisis_line


@pytest.mark.parametrize(
    "text",
    [
        "j'ai très mal à la poitrine et je n'arrive pas à respirer",
        "Mein Vater hat starke Schmerzen in der Brust",
        "胸がとても痛いです",  # Japanese: kana, so not read as Chinese
        "ابني لا يستطيع التنفس",
    ],
)
def test_other_languages_are_still_not_checked(text: str) -> None:
    result = triage(text, country="GB")
    assert language(text) is None
    assert (result.checked, result.language) == (False, None)
    assert result.advice is not None and result.advice.action == "not_checked"
    assert "could not check" in result.advice.headline


def test_short_english_stays_english() -> None:
    for text in ("help me", "son fever", "chest pain", "my mama has chest pain"):
        assert language(text) == "en"
        assert triage(text).language == "en"


def test_the_language_is_in_the_dict_and_kept() -> None:
    result = triage("me duele mucho el pecho y me falta el aire")
    data = result.to_dict()
    assert data["language"] == "es" and data["level"] == "emergency"
    assert restored(data).language == "es"
    assert restored({"level": "routine", "flags": [], "checked": True}).language == "en"


def test_language_rules_share_the_english_ids_and_families() -> None:
    english = {rule.id: rule for rule in default_rules().rules}
    families = set(default_rules().families)
    for code in ("es", "zh"):
        for rule in language_rules(code).rules:
            assert rule.family in families, (code, rule.id)
            assert rule.name and rule.rationale and rule.source
            if rule.id in english:
                assert rule.name == english[rule.id].name


def test_language_sets_are_frozen() -> None:
    folder = DATA / "languages"
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").split()
    names = sums[1::2]
    assert sorted(names) == ["es_dev.jsonl", "es_test.jsonl", "zh_dev.jsonl", "zh_test.jsonl"]
    for digest, name in zip(sums[::2], names, strict=True):
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_dev_halves_stay_above_their_floors() -> None:
    reports = {
        name: evaluate(name, load_blind(name), lambda text: triage(text), LANGUAGE_TARGETS)
        for name in ("es_dev", "zh_dev")
    }
    for name, report in reports.items():
        assert {m.message.level for m in report.outcomes} == {E, U, R}, name
    assert below_floors(reports) == []
