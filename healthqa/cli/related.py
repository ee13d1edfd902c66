"""Commands of the Related lists: build them for every article, and score them against the
blind-judged sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from healthqa.cli._shared import JsonOption, err, eval_app, knowledge_base, out
from healthqa.related.judged import (
    LABELS,
    SAMPLE,
    SampleError,
    Score,
    agreement,
    read_sample,
    rescore,
)
from healthqa.related.judged import unjudged_cards as cards


@eval_app.command("related")
def eval_related(
    ctx: typer.Context,
    sample: Annotated[Path, typer.Option(help="Judged pairs (JSONL).")] = SAMPLE,
    unjudged: Annotated[
        Path | None, typer.Option(help="Write the listed pairs nobody judged here (JSONL).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Today's Related lists of the judged sample's articles, scored by the blind judges'
    labels (related / loose / off-topic); unjudged items are counted apart."""
    try:
        judgements = read_sample(sample)
    except SampleError as error:
        err.print(f"error: {error}", markup=False)
        raise typer.Exit(1) from error
    with knowledge_base(ctx) as kb:
        score = rescore(kb.index, judgements)
        if unjudged:
            lines = (json.dumps(c, ensure_ascii=False) for c in cards(kb.index, score.unjudged))
            unjudged.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    agreed, twice = agreement(judgements)
    if as_json:
        print(json.dumps(_report(score, agreed, twice), indent=2))
        return
    table = Table(title=f"Related lists of {score.articles} judged articles ({sample.name})")
    for column in ("reason", *LABELS, "off-topic share"):
        table.add_column(column, justify="left" if column == "reason" else "right")
    for reason, counts in sorted(score.by_reason.items()):
        n = sum(counts.values())
        share = counts["off-topic"] / n if n else 0.0
        table.add_row(reason, *(str(counts[label]) for label in LABELS), f"{share:.1%}")
    table.add_row(
        "all", *(str(score.labels[label]) for label in LABELS), f"{score.share('off-topic'):.1%}"
    )
    out.print(table)
    out.print(
        f"{score.judged} judged items, {len(score.unjudged)} not judged"
        f"{f' (written to {unjudged})' if unjudged else ''}; {score.short_lists} lists under 6 "
        f"items; judges agree on {agreed} of {twice} pairs judged twice",
        markup=False,
    )
    if score.missing_articles:
        out.print(f"not in this base: {', '.join(score.missing_articles)}", markup=False)


def _report(score: Score, agreed: int, twice: int) -> dict[str, object]:
    return {
        "articles": score.articles,
        "judged": score.judged,
        "labels": dict(score.labels),
        "off_topic_share": score.share("off-topic"),
        "by_reason": {r: dict(c) for r, c in score.by_reason.items()},
        "unjudged": len(score.unjudged),
        "short_lists": score.short_lists,
        "missing_articles": score.missing_articles,
        "agreement": {"agreed": agreed, "judged_twice": twice},
    }
