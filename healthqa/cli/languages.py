"""Commands of asking in other languages: the per-language evaluation."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from healthqa.cli._shared import JsonOption, err, eval_app, knowledge_base, out
from healthqa.kb import KnowledgeBase
from healthqa.language import ENGLISH, detect
from healthqa.search.ask import ask as ask_english
from healthqa.search.languages import SPLITS, K, LanguageSetError, Ranker, read_set, relevant, score
from healthqa.search.multilingual import ask_in_language


@eval_app.command("languages")
def eval_languages(
    ctx: typer.Context,
    split: Annotated[str, typer.Option(help=f"Which messages: {', '.join(SPLITS)}.")] = "test",
    as_json: JsonOption = False,
) -> None:
    """The same MedQuAD questions asked in English, Spanish and Chinese by blind authors, each
    ranked over the whole knowledge base: R@1 and MRR@10 per language, for healthqa (the
    language detected, then the English engine or the multilingual index), the English engine
    alone and the multilingual index alone. Builds the multilingual index if needed."""
    try:
        asked = read_set(split)
    except LanguageSetError as error:
        err.print(f"error: {error}", markup=False)
        raise typer.Exit(1) from error
    with knowledge_base(ctx) as kb:
        wanted = relevant(kb.index.docs, {a.external_id for a in asked})
        report = {
            name: [asdict(s) for s in score(asked, rank, wanted)]
            for name, rank in _rankers(kb).items()
        }
    if as_json:
        print(json.dumps({"split": split, "k": K, "runs": report}, indent=2))
        return
    table = Table(title=f"Asking in three languages ({split} split, {len(asked)} messages)")
    for column in ("run", "language", "messages", "R@1", f"MRR@{K}"):
        table.add_column(column, justify="left" if column in ("run", "language") else "right")
    for name, rows in report.items():
        for row in rows:
            table.add_row(
                name,
                row["language"],
                str(row["messages"]),
                f"{row['r_at_1']:.3f}",
                f"{row['mrr']:.3f}",
            )
    out.print(table)


def _rankers(kb: KnowledgeBase) -> dict[str, Ranker]:
    def english(text: str) -> list[str]:
        return [m.id for m in ask_english(kb.index, text, K).matches]

    def multilingual(text: str) -> list[str]:
        return [m.id for m in ask_in_language(kb.index, kb.multilingual, text, "xx", K).matches]

    def routed(text: str) -> list[str]:
        return english(text) if detect(text).code == ENGLISH else multilingual(text)

    return {"healthqa": routed, "English engine": english, "multilingual index": multilingual}
