"""The drill scenario model: who plays, what happens when (injects), and what should follow.

A scenario is data only: frozen dataclasses built by :mod:`protocols.drills.scenario_loader` from
a YAML file and consumed by the runner and the report. Offsets are ``timedelta`` since T0 (the
drill's start); ids are the scenario author's own (``I1``, ``U1`` ...) and are unique per
scenario, which is what lets reports of two runs of the same scenario be compared line by line.

Imports only :mod:`protocols.drills.offsets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from protocols.drills.offsets import format_offset

__all__ = [
    "ExpectationKind",
    "Expectation",
    "ImageEdit",
    "Inject",
    "InjectKind",
    "LiteralHash",
    "MatchExpectation",
    "Participant",
    "PlatformReport",
    "Scenario",
    "UploadSpec",
    "EDIT_DEFAULTS",
    "EDIT_KINDS",
    "EDIT_LIMITS",
]

#: Edits a variant upload may apply to its original, with whether they take an amount.
EDIT_KINDS: dict[str, str] = {
    "crop": "share of each side cut away (0 < x < 0.5), default 0.01 (PDQ loses a crop beyond ~2%)",
    "mirror": "flip left-right (no amount)",
    "reencode": "JPEG quality (1-95), default 40",
    "resize": "scale factor (0.1-4), default 0.5",
    "brightness": "factor (0.2-3), default 1.1",
    "rotate": "degrees, default 90",
    "border": "pixels of black border (1-200), default 4",
}


#: Default amount and allowed range of each edit that takes an amount.
EDIT_DEFAULTS: dict[str, float] = {
    "crop": 0.01,
    "reencode": 40,
    "resize": 0.5,
    "brightness": 1.1,
    "rotate": 90,
    "border": 4,
}
EDIT_LIMITS: dict[str, tuple[float, float]] = {
    "crop": (0.0, 0.49),
    "reencode": (1, 95),
    "resize": (0.1, 4.0),
    "brightness": (0.2, 3.0),
    "rotate": (-360, 360),
    "border": (1, 200),
}


class InjectKind(StrEnum):
    MESSAGE = "message"
    UPLOAD = "upload"
    REPORT = "report"
    SEVERITY = "severity"


class MatchExpectation(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"


class ExpectationKind(StrEnum):
    STEP_COMPLETED = "step_completed"
    ROLE_ASSIGNED = "role_assigned"
    SEVERITY_SET = "severity_set"
    STAGE_REACHED = "stage_reached"
    HASH_ADDED = "hash_added"
    NO_HASH_ADDED = "no_hash_added"
    ACTIVATED = "activated"
    CONCLUDED = "concluded"
    STOOD_DOWN = "stood_down"


@dataclass(frozen=True)
class Participant:
    """A named player and the protocol roles they hold when the drill starts."""

    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ImageEdit:
    kind: str
    amount: float | None = None


@dataclass(frozen=True)
class LiteralHash:
    signal: str
    value: str


@dataclass(frozen=True)
class UploadSpec:
    """A simulated upload: a synthetic image from ``seed``, a variant of another upload, or a hash.

    Exactly one of ``seed``, ``variant_of`` and ``literal`` is set. ``expect`` says whether checking
    it against the drill's exercise list at the time it arrives should match.
    """

    platform: str
    caption: str = ""
    seed: int | None = None
    variant_of: str | None = None
    edits: tuple[ImageEdit, ...] = ()
    literal: LiteralHash | None = None
    expect: MatchExpectation | None = None


@dataclass(frozen=True)
class PlatformReport:
    platform: str
    text: str
    count: int = 1


@dataclass(frozen=True)
class Inject:
    """What happens to the players at ``at``: a message, upload, report or severity change."""

    id: str
    at: timedelta
    kind: InjectKind
    text: str = ""
    sender: str = ""
    upload: UploadSpec | None = None
    report: PlatformReport | None = None
    severity: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Expectation:
    """An expected response: ``kind`` about ``target`` by ``deadline`` (since T0) or ``within``.

    ``target`` is a step, role, severity or stage id, or an upload inject id for ``hash_added``
    (None means any hash). ``within`` is measured from the target inject's delivery.
    """

    id: str
    kind: ExpectationKind
    target: str | None = None
    deadline: timedelta | None = None
    within: timedelta | None = None
    description: str = ""

    def describe(self) -> str:
        if self.description:
            return self.description
        when = ""
        if self.deadline is not None:
            when = f" by {format_offset(self.deadline)}"
        elif self.within is not None:
            when = f" within {_minutes(self.within)} of {self.target}"
        subject = {
            ExpectationKind.STEP_COMPLETED: f"step {self.target} completed",
            ExpectationKind.ROLE_ASSIGNED: f"role {self.target} assigned",
            ExpectationKind.SEVERITY_SET: f"severity set to {self.target}",
            ExpectationKind.STAGE_REACHED: f"stage {self.target} reached",
            ExpectationKind.HASH_ADDED: (
                f"hash of {self.target} added" if self.target else "a hash added"
            ),
            ExpectationKind.NO_HASH_ADDED: "no hash added",
            ExpectationKind.ACTIVATED: "incident activated",
            ExpectationKind.CONCLUDED: "incident concluded",
            ExpectationKind.STOOD_DOWN: "incident stood down (concluded or closed)",
        }[self.kind]
        return subject + when


def _minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 60:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 60} min"


@dataclass(frozen=True)
class Scenario:
    id: str
    version: int
    title: str
    protocol: str
    severity: str
    duration: timedelta
    participants: tuple[Participant, ...]
    injects: tuple[Inject, ...]
    expectations: tuple[Expectation, ...]
    modelled_on: str = ""
    description: str = ""
    source: str = field(default="", compare=False)

    def inject(self, inject_id: str) -> Inject:
        for inject in self.injects:
            if inject.id == inject_id:
                return inject
        raise KeyError(inject_id)

    def participant(self, name: str) -> Participant | None:
        for participant in self.participants:
            if participant.name.lower() == name.lower():
                return participant
        return None
