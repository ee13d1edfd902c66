"""Read the TREC 2017 LiveQA medical training XML: real consumer questions with reference answers.

Each `<NLM-QUESTION>` becomes one question (its id is `LiveQA_<file tag>_<question id>`); the
answers of all its sub-questions become its answers, and the sub-questions' FOCUS and TYPE
annotations are kept (the first as focus and question type, all in `annotations`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from lxml import etree
from sqlalchemy import Engine

from healthqa.ingest.medquad import SOURCES_FILE
from healthqa.ingest.records import AnswerRecord, QuestionRecord, Rejection, SourceRecord
from healthqa.ingest.write import ImportSummary, write

SOURCE = "LiveQA"
AUTHOR = "U.S. National Library of Medicine (TREC LiveQA reference answer)"
TITLE_CHARS = 120


class LiveQAError(Exception):
    """A LiveQA file cannot be read."""


def liveqa_source() -> SourceRecord:
    with SOURCES_FILE.open("rb") as fh:
        info = tomllib.load(fh)[SOURCE]
    return SourceRecord(SOURCE, info["name"], info["url"], info["licence"], info["attribution"])


def import_liveqa(engine: Engine, path: str | Path, *, strict: bool = False) -> ImportSummary:
    """Import one LiveQA XML file, or every `*.xml` file in a folder."""
    path = Path(path).expanduser()
    files = sorted(path.glob("*.xml")) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise LiveQAError(f"{path}: no LiveQA XML file found")
    records: list[QuestionRecord] = []
    rejected: list[Rejection] = []
    for file in files:
        found, refused = read(file)
        records += found
        rejected += refused
    return write(
        engine, f"LiveQA ({path.name})", records, [liveqa_source()], rejected, strict=strict
    )


def read(file: Path) -> tuple[list[QuestionRecord], list[Rejection]]:
    """The questions of one file. A file that is not well-formed XML is refused whole."""
    data = file.read_bytes()
    if not data.strip():
        raise LiveQAError(f"{file}: the file is empty")
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        line, col = exc.position
        raise LiveQAError(f"{file}:{line}:{col}: invalid XML: {exc.msg}") from exc
    tag = _file_tag(file)
    records, rejected = [], []
    for number, el in enumerate(root.iter("NLM-QUESTION"), 1):
        try:
            records.append(_record(file, tag, number, el))
        except _Refused as exc:
            rejected.append(Rejection(f"{file} question {number}", exc.field, exc.problem))
    return records, rejected


class _Refused(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field, self.problem = field, problem


def _file_tag(file: Path) -> str:
    """'TREC-2017-LiveQA-Medical-Train-1.xml' -> 'Train1'; other names keep their stem."""
    match = re.search(r"(Train|Test)-(\d+)$", file.stem)
    return f"{match[1]}{match[2]}" if match else re.sub(r"[^A-Za-z0-9]+", "-", file.stem)


def _record(file: Path, tag: str, number: int, el: etree._Element) -> QuestionRecord:
    qid = el.get("questionid") or el.get("qid")
    if not qid:
        raise _Refused("questionid", "missing")
    qid = qid.removesuffix(".0")
    subject, message = _text(el.find("SUBJECT")), _text(el.find("MESSAGE"))
    if not subject and not message:
        raise _Refused("MESSAGE", "the question has neither SUBJECT nor MESSAGE")
    subs = [
        {"focus": _text(s.find("ANNOTATIONS/FOCUS")), "type": _text(s.find("ANNOTATIONS/TYPE"))}
        for s in el.iter("SUB-QUESTION")
    ]
    answers = [
        AnswerRecord(body, author=AUTHOR)
        for a in el.iter("ANSWER")
        if (body := "".join(a.itertext()).strip())
    ]
    return QuestionRecord(
        external_id=f"{SOURCE}_{tag}_{qid}",
        title=_title(subject, message),
        body=message,
        source=SOURCE,
        where=f"{file} question {number} ({qid})",
        focus=subs[0]["focus"] if subs else "",
        question_type=subs[0]["type"].lower() if subs and subs[0]["type"] else None,
        annotations={"sub_questions": subs},
        answers=answers,
    )


def _text(el: etree._Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


QUESTION_SENTENCE = re.compile(r"[^.?!\n]*\?")
TOPIC_WORDS = 3  # a SUBJECT this short without a "?" names a topic ("cramp"), not a question


def _title(subject: str, message: str) -> str:
    """The page title: SUBJECT when it asks something; when it only names a topic ("Body
    Lice"), the topic and the first question the message asks ("Body Lice: How do I get rid
    of these little devils?"); the start of the message when there is no SUBJECT."""
    if not subject:
        return _shorten(message)
    if "?" in subject or len(subject.split()) > TOPIC_WORDS:
        return subject
    for sentence in QUESTION_SENTENCE.findall(message):
        sentence = sentence.strip(" ,;:-")
        if len(sentence.split()) >= 4:
            return _shorten(f"{subject}: {sentence[:1].upper()}{sentence[1:]}")
    return subject


def _shorten(text: str) -> str:
    """The start of a message, cut at a word boundary, as a title for subject-less questions."""
    if len(text) <= TITLE_CHARS:
        return text
    return text[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"
