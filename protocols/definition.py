"""The protocol model: what a crisis protocol *is*, as immutable data.

A protocol is configuration, not code: severity levels (tiers), roles with their permissions, and
ordered stages of steps with owners, dependencies, targets, expected evidence and escalation.
The loader (``protocols.loader``) builds these objects from YAML; the engine only reads them.
Imports nothing outside ``protocols``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from protocols.errors import UnknownRole, UnknownStep

__all__ = [
    "EVIDENCE_KINDS",
    "Escalation",
    "EvidenceKind",
    "Protocol",
    "RelativeTo",
    "Role",
    "SeverityLevel",
    "Stage",
    "Step",
]

EvidenceKind = Literal["text", "link", "hash"]
RelativeTo = Literal["incident", "stage"]
EVIDENCE_KINDS: tuple[str, ...] = ("text", "link", "hash")


@dataclass(frozen=True)
class SeverityLevel:
    """One activation tier or severity level, e.g. GIFCT's "Content Incident Protocol"."""

    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Role:
    """An incident role. The lead role (``lead=True``) implicitly has every ``can_*`` permission.

    Anyone holding a role may complete the steps that role is responsible for and add notes;
    the ``can_*`` flags grant the wider actions listed in ``protocols.permissions``.
    """

    id: str
    name: str
    instructions: str = ""
    lead: bool = False
    can_activate: bool = False
    can_assign_roles: bool = False
    can_manage_steps: bool = False
    can_change_severity: bool = False
    can_advance_stage: bool = False
    can_conclude: bool = False
    can_record_timeline: bool = False
    can_link_hashes: bool = False
    can_correct_timeline: bool = False

    def allows(self, permission: str) -> bool:
        """True when this role grants ``permission`` (a ``can_*`` field name)."""
        return self.lead or bool(getattr(self, permission))


@dataclass(frozen=True)
class Escalation:
    """Who is notified when a step is still open ``after`` its target has passed."""

    after: timedelta
    notify_roles: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    role: str
    instructions: str = ""
    required: bool = True
    depends_on: tuple[str, ...] = ()
    target: timedelta | None = None
    relative_to: RelativeTo = "stage"
    evidence: EvidenceKind | None = None
    escalation: Escalation | None = None


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    steps: tuple[Step, ...]
    description: str = ""


@dataclass(frozen=True)
class Protocol:
    id: str
    version: str
    name: str
    description: str
    modelled_on: str
    severity_levels: tuple[SeverityLevel, ...]
    roles: Mapping[str, Role]
    stages: tuple[Stage, ...]
    source: str = field(default="", compare=False)

    @property
    def lead_role(self) -> Role:
        """The role marked ``lead: true`` (the loader guarantees exactly one)."""
        return next(role for role in self.roles.values() if role.lead)

    def steps(self) -> Iterator[tuple[int, Step]]:
        """Every step with the index of its stage, in protocol order."""
        for index, stage in enumerate(self.stages):
            for step in stage.steps:
                yield index, step

    def step(self, step_id: str) -> Step:
        return self.stage_and_step(step_id)[1]

    def stage_and_step(self, step_id: str) -> tuple[int, Step]:
        for index, step in self.steps():
            if step.id == step_id:
                return index, step
        known = ", ".join(s.id for _, s in self.steps())
        raise UnknownStep(f"protocol {self.id!r} has no step {step_id!r} (steps: {known})")

    def role(self, role_id: str) -> Role:
        try:
            return self.roles[role_id]
        except KeyError:
            known = ", ".join(self.roles)
            raise UnknownRole(
                f"protocol {self.id!r} has no role {role_id!r} (roles: {known})"
            ) from None

    def severity(self, level_id: str) -> SeverityLevel | None:
        return next((s for s in self.severity_levels if s.id == level_id), None)
