"""The failures a person can act on, shared by every part of the library.

Plain domain errors: they say what went wrong and what to change, never how a layer above shows
it. The web layer alone turns them into statuses (`healthqa.web.errors`), the CLI into messages
and exit codes. A module's own error subclasses one of these, so a caller may catch the family.
"""

from __future__ import annotations


class Refused(ValueError):
    """What a person sent cannot be taken as it is; `field` names what to change, and
    `too_long` says it is over a length limit (shorten it rather than fix it)."""

    def __init__(self, message: str, field: str | None = None, *, too_long: bool = False) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field
        self.too_long = too_long


class NotFound(LookupError):
    """No such thing: no question, answer, flag, account or private link by that name."""


class NotAllowed(PermissionError):
    """This account may not do this (not verified, not the author, a locked question)."""


class Conflict(Exception):
    """The request is sound but clashes with what is stored (answered already, say)."""
