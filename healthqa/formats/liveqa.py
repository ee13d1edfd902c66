"""The TREC 2017 LiveQA medical XML: real consumer questions with reference answers.

Each `<NLM-QUESTION>` has an id (file 1 names it `questionid`, file 2 `qid` and writes "1.0";
file 2 also starts with a UTF-8 byte-order mark, which the parser accepts), a SUBJECT, a MESSAGE
and SUB-QUESTIONS, each with FOCUS and TYPE annotations and reference ANSWERs.

`read_file` turns one file into `LiveQAQuestion`s, the text as written (outer spaces stripped:
a letter keeps its line breaks; FOCUS and TYPE are labels, their spaces collapsed). A question
without an id or without any text is refused with its place and field and the rest kept; a file
that is not well-formed XML is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from healthqa.formats._files import file_bytes


class LiveQAError(ValueError):
    """A LiveQA file or folder cannot be read; the message names it (and the line and column
    of XML that is not well-formed)."""


class QuestionRefused(LiveQAError):
    """One question of a file cannot be used; the message names the file, question and field."""

    def __init__(self, where: str, field: str, problem: str) -> None:
        super().__init__(f"{where}: field '{field}': {problem}")
        self.where, self.field, self.problem = where, field, problem


@dataclass(frozen=True)
class SubQuestion:
    """One annotated sub-question: its FOCUS ("cardiac amyloidosis") and TYPE ("information")."""

    focus: str
    type: str


@dataclass(frozen=True)
class LiveQAQuestion:
    """One `<NLM-QUESTION>`: `number` is its position in `file` (from 1), `id` as written."""

    file: Path
    number: int
    id: str
    subject: str
    message: str
    sub_questions: tuple[SubQuestion, ...]
    answers: tuple[str, ...]

    @property
    def where(self) -> str:
        return _where(self.file, self.number)

    @property
    def text(self) -> str:
        """The question as its writer sent it: "subject. message" (the message alone when the
        SUBJECT is empty)."""
        return f"{self.subject}. {self.message}" if self.subject else self.message


@dataclass(frozen=True)
class LiveQAFile:
    """The questions of one file and the questions refused (each with its place and field)."""

    path: Path
    questions: tuple[LiveQAQuestion, ...]
    refused: tuple[QuestionRefused, ...]


def xml_files(path: str | Path) -> list[Path]:
    """`path` itself when it is a file, else every `*.xml` file in the folder, sorted."""
    path = Path(path).expanduser()
    files = sorted(path.glob("*.xml")) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise LiveQAError(f"{path}: no LiveQA XML file found")
    return files


def read_questions(path: str | Path) -> list[LiveQAQuestion]:
    """Every question of a LiveQA file or folder; a refused question is an error here."""
    questions: list[LiveQAQuestion] = []
    for file in xml_files(path):
        found = read_file(file)
        if found.refused:
            raise found.refused[0]
        questions += found.questions
    return questions


def read_file(file: Path) -> LiveQAFile:
    """The questions of one LiveQA XML file, and those refused."""
    data = file_bytes(file, LiveQAError)
    if not data.strip():
        raise LiveQAError(f"{file}: the file is empty")
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        line, col = exc.position
        raise LiveQAError(f"{file}:{line}:{col}: invalid XML: {exc.msg}") from exc
    questions, refused = [], []
    for number, element in enumerate(root.iter("NLM-QUESTION"), 1):
        try:
            questions.append(_question(file, number, element))
        except QuestionRefused as exc:
            refused.append(exc)
    return LiveQAFile(file, tuple(questions), tuple(refused))


def _question(file: Path, number: int, element: etree._Element) -> LiveQAQuestion:
    where = _where(file, number)
    qid = element.get("questionid") or element.get("qid")
    if not qid:
        raise QuestionRefused(where, "questionid", "missing")
    subject, message = _text(element.find("SUBJECT")), _text(element.find("MESSAGE"))
    if not subject and not message:
        raise QuestionRefused(where, "MESSAGE", "the question has neither SUBJECT nor MESSAGE")
    subs = tuple(
        SubQuestion(_label(sub.find("ANNOTATIONS/FOCUS")), _label(sub.find("ANNOTATIONS/TYPE")))
        for sub in element.iter("SUB-QUESTION")
    )
    answers = tuple(body for answer in element.iter("ANSWER") if (body := _text(answer)))
    return LiveQAQuestion(file, number, qid, subject, message, subs, answers)


def _where(file: Path, number: int) -> str:
    return f"{file} question {number}"


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _label(element: etree._Element | None) -> str:
    return " ".join(_text(element).split())
