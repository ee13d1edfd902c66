"""Moderation: screening questions and answers before they are published.

`checks` works on the text alone (links, spam score, personal data); see docs/moderation.md.
"""

from healthqa.moderation.checks import (
    RULES_PATH,
    Hit,
    Screening,
    SpamRule,
    SpamRules,
    SpamRulesError,
    TooManyLinks,
    load_spam_rules,
    mask_personal,
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
