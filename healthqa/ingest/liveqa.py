"""Import the TREC 2017 LiveQA medical training XML: real consumer questions with reference answers.

`healthqa.formats.liveqa` reads the files; here each `<NLM-QUESTION>` becomes one question record
(its id is `LiveQA_<file tag>_<question id>`); the answers of all its sub-questions become its
answers, and the sub-questions' FOCUS and TYPE annotations are kept (the first as focus and
question type, all in `annotations`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from sqlalchemy import Engine

from healthqa.formats.liveqa import LiveQAQuestion, read_file, xml_files
from healthqa.ingest.medquad import SOURCES_FILE
from healthqa.ingest.records import AnswerRecord, QuestionRecord, Rejection, SourceRecord
from healthqa.ingest.topics import TopicRules
from healthqa.ingest.write import ImportSummary, write

SOURCE = "LiveQA"
AUTHOR = "U.S. National Library of Medicine (TREC LiveQA reference answer)"
TITLE_CHARS = 120


def liveqa_source() -> SourceRecord:
    with SOURCES_FILE.open("rb") as fh:
        info = tomllib.load(fh)[SOURCE]
    return SourceRecord(SOURCE, info["name"], info["url"], info["licence"], info["attribution"])


def import_liveqa(
    engine: Engine, path: str | Path, *, strict: bool = False, rules: TopicRules | None = None
) -> ImportSummary:
    """Import one LiveQA XML file, or every `*.xml` file in a folder; `rules` assign the
    topics (default: the configured ones)."""
    path = Path(path).expanduser()
    records: list[QuestionRecord] = []
    rejected: list[Rejection] = []
    for file in xml_files(path):
        found, refused = read(file)
        records += found
        rejected += refused
    label, sources = f"LiveQA ({path.name})", [liveqa_source()]
    return write(engine, label, records, sources, rejected, strict=strict, rules=rules)


def read(file: Path) -> tuple[list[QuestionRecord], list[Rejection]]:
    """The questions of one file as records, and the questions refused. A file that is not
    well-formed XML is refused whole (`LiveQAError`)."""
    found = read_file(file)
    tag = _file_tag(file)
    records = [_record(tag, question) for question in found.questions]
    return records, [Rejection(r.where, r.field, r.problem) for r in found.refused]


def _file_tag(file: Path) -> str:
    """'TREC-2017-LiveQA-Medical-Train-1.xml' -> 'Train1'; other names keep their stem."""
    match = re.search(r"(Train|Test)-(\d+)$", file.stem)
    return f"{match[1]}{match[2]}" if match else re.sub(r"[^A-Za-z0-9]+", "-", file.stem)


def _record(tag: str, question: LiveQAQuestion) -> QuestionRecord:
    qid = question.id.removesuffix(".0")
    subject, message = " ".join(question.subject.split()), " ".join(question.message.split())
    subs = [{"focus": s.focus, "type": s.type} for s in question.sub_questions]
    first = question.sub_questions[0] if question.sub_questions else None
    return QuestionRecord(
        external_id=f"{SOURCE}_{tag}_{qid}",
        title=_title(subject, message),
        body=message,
        source=SOURCE,
        where=f"{question.where} ({qid})",
        focus=first.focus if first else "",
        question_type=first.type.lower() if first and first.type else None,
        annotations={"sub_questions": subs},
        answers=[AnswerRecord(body, author=AUTHOR) for body in question.answers],
    )


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
