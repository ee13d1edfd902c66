"""Where the context cues are in a message, and what they say about a finding.

In the manner of NegEx and ConText (Chapman et al. 2001, Harkema et al. 2009), a finding such as
"chest pain" is checked against cues around it, each with a scope: negation ("no fever"),
questions about a condition ("what are the signs of a stroke?"), past time ("10 years ago"),
people in general ("if someone ...") and animals ("my dog"). Scopes stop at clause breaks
(sentence ends, "but", "however") and at cues that end them ("now" ends a past-time scope).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from healthqa.triage.rules import Cues

Span = tuple[int, int]
_LEAD = re.compile(r"[\s,\-–—\"()*:]*")


class Context:
    """One normalised message and the checks on a finding's context.

    Cues are looked for only inside the clause or sentence (`scope`) of a finding, and only
    when a rule has found something there, so most of a long message is never scanned.
    """

    def __init__(self, text: str, cues: Cues) -> None:
        self.text = text
        self.cues = cues
        self._cues: dict[tuple[str, int, int], list[Span]] = {}
        self._bounds: dict[str, tuple[list[int], list[int]]] = {}
        self.affirmed: dict[str, str | None] = {}
        self.set_aside: set[str] = set()  # rule findings the context did not count, and why

    def cues_in(self, kind: str, scope: Span) -> list[Span]:
        """The cues of `kind` inside `scope`, in order (negations inside pseudo-cues dropped)."""
        key = (kind, *scope)
        if key not in self._cues:
            pattern: re.Pattern[str] = getattr(self.cues, kind)
            found = [m.span() for m in pattern.finditer(self.text, *scope)]
            if kind == "negation" and found:
                pseudo = self.cues_in("pseudo", scope)
                found = [s for s in found if not any(_overlap(s, p) for p in pseudo)]
            self._cues[key] = found
        return self._cues[key]

    def within(self, kind: str, lo: int, hi: int, scope: Span) -> list[Span]:
        """Cues of `kind` in `scope` lying entirely inside text[lo:hi]."""
        return [(a, b) for a, b in self.cues_in(kind, scope) if lo <= a and b <= hi]

    def bounds(self, kind: str, start: int, end: int) -> Span:
        """The sentence or clause (`kind`) around text[start:end]."""
        if kind not in self._bounds:
            pattern: re.Pattern[str] = getattr(self.cues, kind)
            spans = [m.span() for m in pattern.finditer(self.text)]
            self._bounds[kind] = ([s for s, _ in spans], [e for _, e in spans])
        starts, ends = self._bounds[kind]
        before = bisect_right(ends, start)
        after = bisect_left(starts, end)
        return (ends[before - 1] if before else 0), (
            starts[after] if after < len(starts) else len(self.text)
        )

    def clause(self, start: int, end: int) -> Span:
        return self.bounds("clause", start, end)

    def words(self, lo: int, hi: int) -> int:
        return len(self.text[lo:hi].split()) if lo < hi else 0

    def negated(self, start: int, end: int, clause: Span) -> bool:
        """A negation cue shortly before ("no fever") or after ("... was ruled out")."""
        cues = self.cues
        for cue_start, cue_end in self.cues_in("negation", clause):
            if cue_start >= start:
                break
            near = self.words(cue_end, start) <= cues.negation_window
            if near and not self.within("negation_stop", cue_end, start, clause):
                return True
        after = self.within("negation_after", end, clause[1], clause)
        return any(
            self.words(end, cue_start) <= cues.negation_after_window for cue_start, _ in after
        )

    def question(self, start: int, clause: Span) -> bool:
        """Part of a question or request for information about the condition."""
        sentence = self.bounds("sentence", start, start)
        lead = _LEAD.match(self.text, sentence[0])
        head = self.cues.question_start.match(self.text, lead.end() if lead else sentence[0])
        personal = head and self.within("personal", head.end(), start, sentence)
        if head and head.end() <= start and not personal:
            return True
        return self._scoped("informational", start, clause, self.cues.informational_window)

    def _scoped(self, kind: str, start: int, clause: Span, window: int) -> bool:
        """A cue of `kind` before the finding, near enough, with no personal cue between."""
        for _, cue_end in self.within(kind, clause[0], start, clause):
            near = self.words(cue_end, start) <= window
            if near and not self.within("personal", cue_end, start, clause):
                return True
        return False

    def historical(self, start: int, end: int, clause: Span) -> bool:
        """A past-time cue in the same clause with no current-time cue ("now") in between.

        A cue reaches across a comma only when it opens the sentence ("When I was pregnant,
        I had ..."); otherwise a comma ends it ("IUD put in last week, fever 38.8").
        """
        sentence_start = self.bounds("sentence", start, end)[0]
        for cue_start, cue_end in self.cues_in("historical", clause):
            if cue_start < end and cue_end > start:
                return True
            lo, hi = (cue_end, start) if cue_end <= start else (end, cue_start)
            opens = cue_end <= start and self.words(sentence_start, cue_start) <= 1
            crosses = "," in self.text[lo:hi] and not opens
            if not crosses and not self.within("current", lo, hi, clause):
                return True
        return False

    def resolved(self, start: int, end: int) -> bool:
        """The same sentence says the problem has passed ("it's fine now", "went away")."""
        return bool(self.cues_in("resolved", self.bounds("sentence", start, end)))

    def suppressed(self, start: int, end: int) -> str | None:
        """Why a finding at text[start:end] does not count, or None if it does."""
        clause = self.clause(start, end)
        if self.negated(start, end, clause):
            return "negated"
        if self.question(start, clause):
            return "question"
        if self.historical(start, end, clause):
            return "past"
        if self._scoped("generic", start, clause, self.cues.generic_window):
            return "generic"
        if self.cues_in("animal", clause):
            return "animal"
        if self.framed(start):
            return "frame"
        if self._hypothetical(start, clause):
            return "hypothetical"
        return None

    def framed(self, start: int) -> bool:
        """About a story, course or exam: a frame cue in the finding's sentence or the first."""
        sentence = self.bounds("sentence", start, start)
        first = self.bounds("sentence", 0, 0)
        return bool(self.cues_in("frame", sentence) or self.cues_in("frame", first))

    def _hypothetical(self, start: int, clause: Span) -> bool:
        """An if-clause shortly before the finding ("if he gets a fever ...")."""
        return any(
            self.words(cue_end, start) <= self.cues.generic_window
            for _, cue_end in self.within("hypothetical", clause[0], start, clause)
        )


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]
