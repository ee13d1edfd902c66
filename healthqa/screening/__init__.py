"""Text screening, from the text alone: links, a spam score from rules kept as data, and the
personal data a health site must not publish (masked). Used before a question or an answer is
stored; see docs/moderation.md."""

from healthqa.screening.personal import mask_personal
from healthqa.screening.spam import (
    RULES_PATH,
    Hit,
    Screening,
    SpamRule,
    SpamRules,
    SpamRulesError,
    TooManyLinks,
    load_spam_rules,
    screen,
)

__all__ = [
    "RULES_PATH",
    "Hit",
    "Screening",
    "SpamRule",
    "SpamRules",
    "SpamRulesError",
    "TooManyLinks",
    "load_spam_rules",
    "mask_personal",
    "screen",
]
