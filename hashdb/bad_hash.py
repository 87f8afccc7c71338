"""Which entries are likely bad hashes: judged from evidence no single caller can manufacture.

A hash of a flat, generic or widely reused image (a logo, a meme template, a black frame) that
slips into a block list matches benign uploads and floods responders. The rule (``BadHashRule``,
documented in docs/hashdb.md) flags an entry of a block list when either

- **false-positive verdicts** on it come from at least ``min_sources`` distinct sources. An API
  platform is one source however many keys it holds (``source_of``); any other actor (a responder
  through the CLI or the bot) is one source. Each source counts by its latest verdict, so a
  platform that said "false_positive" and later "confirmed" no longer counts; or
- **its own hash matches an allow list**: a coordinator put that content on an allow list as
  known-benign, so every upload of it would match this entry.

Why not how often it matches: a platform's lookups are its own to repeat (250 lookups through one
key used to flag an entry for every platform), and in a crisis the genuine copies of the attack
content are what gets matched the most, by every platform: a rule counting matches fires on the
entries that matter most. Both kinds of evidence above are written by people who answer for them
(platforms' verdicts, coordinators' allow lists), are stored, and so are judged the same by every
process and after a restart. Evidence about an entry only ever flags that entry in its own list.

Pure: the matcher gathers the evidence (``hashdb.matcher``) and asks ``BadHashRule.flags``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["BadHashRule", "source_of"]

_API_ACTOR = "api:"


def source_of(actor: str) -> str:
    """Who stands behind a verdict: ``api:PLATFORM/KEY`` (an API key) -> ``api:PLATFORM``, so all
    of one platform's keys are one source; any other actor is a source of its own."""
    if actor.startswith(_API_ACTOR) and "/" in actor:
        return actor.split("/", 1)[0]
    return actor


class BadHashRule:
    """The likely-bad-hash rule with its one setting (see the module docstring)."""

    def __init__(self, *, min_sources: int = 2) -> None:
        if min_sources < 1:
            raise ValueError(f"min_sources must be at least 1, got {min_sources}")
        self.min_sources = min_sources

    def false_positive_sources(self, verdicts: Iterable[tuple[str, str]]) -> set[str]:
        """The sources whose latest verdict is "false_positive", from ``(actor, verdict)`` pairs
        oldest first."""
        latest: dict[str, str] = {}
        for actor, verdict in verdicts:
            latest[source_of(actor)] = verdict
        return {source for source, verdict in latest.items() if verdict == "false_positive"}

    def may_flag(self, false_positive_count: int) -> bool:
        """Whether an entry with this many false-positive verdicts (of any sources) can be flagged
        by them; below ``min_sources`` reading who gave them is not worth a query."""
        return false_positive_count >= self.min_sources

    def flags(self, verdicts: Iterable[tuple[str, str]], *, allowed: bool) -> bool:
        """The rule for one entry: its verdicts (``(actor, verdict)``, oldest first) and whether
        its own hash matches an allow list."""
        return allowed or len(self.false_positive_sources(verdicts)) >= self.min_sources
