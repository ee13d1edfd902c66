"""Read the MedQuAD archive (zip, extracted folder or URL) into question records.

Most documents look like `<Document id source url><Focus/><FocusAnnotations/><QAPairs>`; four
NINDS files use an older schema (`<doc docid corpus><doctitle-focus><qaPairs><pair>`) and one
CDC file is a `<DiseaseFile fid>`. Tags are matched case-insensitively through `_TAGS`, so all
of them load. A document id is the file's name, not its `id` attribute: eleven CancerGov files
share the attribute of their parent document (`0000013_2_1.xml` says `id="0000013_2"`).
"""

from __future__ import annotations

import tomllib
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from lxml import etree
from sqlalchemy import Engine

from healthqa.config import Settings, load_settings
from healthqa.ingest.records import AnswerRecord, QuestionRecord, Rejection, SourceRecord
from healthqa.ingest.topics import TopicRules
from healthqa.ingest.write import ImportSummary, write
from healthqa.progress import progress

SOURCES_FILE = Path(__file__).with_name("sources.toml")

# Spelling variants of the same element across MedQuAD's three schemas.
_TAGS = {
    "focus": "focus",
    "doctitle-focus": "focus",
    "category": "category",
    "cui": "cui",
    "semantictype": "semantic_type",
    "semanticgroup": "semantic_group",
    "synonym": "synonym",
    "qapair": "pair",
    "pair": "pair",
}


class MedQuADError(Exception):
    """The MedQuAD archive cannot be read or fetched."""


@dataclass(frozen=True)
class _Doc:
    name: str  # path inside the archive, for messages
    data: bytes


@lru_cache
def _config() -> dict[str, dict[str, object]]:
    with SOURCES_FILE.open("rb") as fh:
        return tomllib.load(fh)


def medquad_sources() -> list[SourceRecord]:
    cfg = _config()
    licence = cfg["MedQuAD_licence"]
    out = []
    for key, info in cfg["MedQuAD"].items():
        assert isinstance(info, dict)
        name = str(info["name"])
        attribution = str(licence["attribution"]).format(name=name)
        out.append(SourceRecord(key, name, str(info["url"]), str(licence["licence"]), attribution))
    return out


def import_medquad(
    engine: Engine,
    location: str | Path | None = None,
    *,
    strict: bool = False,
    rules: TopicRules | None = None,
    settings: Settings | None = None,
) -> ImportSummary:
    """Import MedQuAD from a zip, a folder or a URL (default: the public archive, downloaded
    into the cache folder of `settings`); `rules` assign the topics."""
    path = resolve(location, settings)
    records, rejected = read(path)
    label, sources = f"MedQuAD ({path.name})", medquad_sources()
    return write(engine, label, records, sources, rejected, strict=strict, rules=rules)


def resolve(location: str | Path | None, settings: Settings | None = None) -> Path:
    """A local path for `location`, downloading URLs into the cache folder first."""
    settings = settings or load_settings()
    location = location or settings.medquad_url
    text = str(location)
    if text.startswith(("http://", "https://")):
        return download(text, settings.cache_dir)
    path = Path(location).expanduser()
    if not path.exists():
        raise MedQuADError(f"{path}: no such file or folder")
    return path


def download(url: str, cache_dir: Path) -> Path:
    """Fetch `url` into `cache_dir` once; later calls reuse the cached file."""
    target = cache_dir / (PurePosixPath(url.split("?")[0]).name or "medquad.zip")
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=30) as resp, partial.open("wb") as out:
            size = int(resp.headers.get("Content-Length") or 0)
            with progress(f"downloading {target.name}", total=size or None) as advance:
                while chunk := resp.read(1 << 16):
                    out.write(chunk)
                    advance(len(chunk))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise MedQuADError(
            f"cannot download {url} ({exc}); are you offline? Download the archive elsewhere "
            "and pass its path: healthqa import medquad PATH"
        ) from exc
    partial.rename(target)
    return target


def read(path: Path) -> tuple[list[QuestionRecord], list[Rejection]]:
    """Parse every document under `path`; broken documents become rejections."""
    docs = list(_documents(path))
    if not docs:
        raise MedQuADError(f"{path}: no MedQuAD XML documents found")
    records: list[QuestionRecord] = []
    rejected: list[Rejection] = []
    with progress(f"reading {path.name}", total=len(docs)) as advance:
        for doc in docs:
            try:
                records.extend(parse_document(doc.name, doc.data))
            except DocumentError as exc:
                rejected.append(Rejection(exc.where, exc.field, exc.problem))
            advance(1)
    return records, rejected


def _documents(path: Path) -> Iterator[_Doc]:
    if path.is_dir():
        for file in sorted(path.rglob("*.xml")):
            yield _Doc(str(file.relative_to(path)), file.read_bytes())
        return
    try:
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                if name.endswith(".xml") and "_QA" in name:
                    yield _Doc(name, zf.read(name))
    except (zipfile.BadZipFile, OSError) as exc:
        raise MedQuADError(f"{path}: not a readable zip archive ({exc})") from exc


class DocumentError(Exception):
    def __init__(self, where: str, field: str, problem: str) -> None:
        super().__init__(f"{where}: field '{field}': {problem}")
        self.where, self.field, self.problem = where, field, problem


def parse_document(name: str, data: bytes) -> list[QuestionRecord]:
    """The question records of one MedQuAD XML document."""
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position
        raise DocumentError(
            f"{name}:{line}:{col}", "(document)", f"invalid XML: {exc.msg}"
        ) from exc
    source = root.get("source") or root.get("corpus")
    doc_id = PurePosixPath(name).stem
    if not source:
        raise DocumentError(name, "source", "the document names no source")
    fields = _annotations(root)
    url = root.get("url")
    records = []
    for pair in (el for el in root.iter() if _tag(el) == "pair"):
        records.append(_pair_record(name, source, doc_id, url, fields, pair))
    return records  # a few NIDDK documents hold no pairs at all: nothing to import


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _tag(el: etree._Element) -> str:
    tag = el.tag
    return _TAGS.get(tag.lower(), "") if isinstance(tag, str) else ""


def _text(el: etree._Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _annotations(root: etree._Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in root.iter():
        kind = _tag(el)
        if kind and kind != "pair" and (value := _text(el)):
            found.setdefault(kind, []).append(value)
    return found


def _pair_record(
    name: str,
    source: str,
    doc_id: str,
    url: str | None,
    fields: dict[str, list[str]],
    pair: etree._Element,
) -> QuestionRecord:
    pid = pair.get("pid")
    where = f"{name} pair {pid}"
    question = _child(pair, "question")
    if not pid:
        raise DocumentError(f"{name}", "pid", "a QAPair has no pid")
    if question is None or not _text(question):
        raise DocumentError(where, "Question", "missing or empty")
    answer_el = _child(pair, "answer")
    # Answers keep their line breaks: paragraphs and lists are part of the source's text.
    answer = "".join(answer_el.itertext()).strip() if answer_el is not None else ""
    return QuestionRecord(
        external_id=f"{source}_{doc_id}_Sec{pid}",
        title=_title(_text(question)),
        source=source,
        where=where,
        focus=_first(fields, "focus") or "",
        focus_category=_first(fields, "category"),
        synonyms=fields.get("synonym", []),
        cuis=fields.get("cui", []),
        semantic_types=fields.get("semantic_type", []),
        semantic_group=_first(fields, "semantic_group"),
        annotations={"qid": question.get("qid")} if question.get("qid") else {},
        question_type=question.get("qtype"),
        document_id=doc_id,
        source_url=url,
        answers=[AnswerRecord(answer, author=_source_name(source), source_url=url)]
        if answer
        else [],
    )


def _first(fields: dict[str, list[str]], kind: str) -> str | None:
    values = fields.get(kind)
    return values[0] if values else None


def _child(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in el if isinstance(c.tag, str) and c.tag.lower() == name), None)


def _title(text: str) -> str:
    """MedQuAD writes 'What is (are) X ?'; only the space before '?' is dropped."""
    return text.replace(" ?", "?")


def _source_name(key: str) -> str:
    info = _config()["MedQuAD"].get(key)
    return str(info["name"]) if isinstance(info, dict) else key
