"""Protocol snapshots: a protocol as plain data, its fingerprint, and the way back.

Why: a protocol file may change while an incident runs (a deployment edits a target, adds a
step). The incident must keep running under the protocol it was declared with, so
``IncidentDeclared`` carries the protocol as canonical JSON plus its SHA-256 fingerprint; replay,
deadlines, exports and ``verify`` read the snapshot, never the library's current file.

``protocol_to_data`` is lossless for everything but ``Protocol.source`` (where the file was):
durations are whole seconds, roles carry every flag. ``protocol_from_data`` refuses unknown keys
(a snapshot written by a newer crisisbot) rather than guess. Imports nothing outside ``protocols``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from datetime import timedelta
from typing import Any

from protocols.definition import Escalation, Protocol, Role, SeverityLevel, Stage, Step
from protocols.errors import ProtocolError

__all__ = [
    "protocol_fingerprint",
    "protocol_from_data",
    "protocol_from_snapshot",
    "protocol_snapshot",
    "protocol_to_data",
    "snapshot_fingerprint",
]


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _step_data(step: Step) -> dict[str, Any]:
    escalation = step.escalation
    return {
        "id": step.id,
        "title": step.title,
        "role": step.role,
        "instructions": step.instructions,
        "required": step.required,
        "depends_on": list(step.depends_on),
        "target_seconds": _seconds(step.target),
        "relative_to": step.relative_to,
        "evidence": step.evidence,
        "escalation": None
        if escalation is None
        else {
            "after_seconds": escalation.after.total_seconds(),
            "notify": list(escalation.notify_roles),
        },
    }


def protocol_to_data(protocol: Protocol) -> dict[str, Any]:
    """The protocol as JSON-ready data (everything except ``source``)."""
    return {
        "id": protocol.id,
        "version": protocol.version,
        "name": protocol.name,
        "description": protocol.description,
        "modelled_on": protocol.modelled_on,
        "severity_levels": [
            {"id": s.id, "name": s.name, "description": s.description}
            for s in protocol.severity_levels
        ],
        "roles": [
            {f.name: getattr(r, f.name) for f in fields(Role)} for r in protocol.roles.values()
        ],
        "stages": [
            {
                "id": stage.id,
                "name": stage.name,
                "description": stage.description,
                "steps": [_step_data(step) for step in stage.steps],
            }
            for stage in protocol.stages
        ],
    }


def _step(data: dict[str, Any]) -> Step:
    escalation = data.pop("escalation")
    target = data.pop("target_seconds")
    depends_on = tuple(data.pop("depends_on"))
    return Step(
        **data,
        depends_on=depends_on,
        target=None if target is None else timedelta(seconds=target),
        escalation=None
        if escalation is None
        else Escalation(
            after=timedelta(seconds=escalation["after_seconds"]),
            notify_roles=tuple(escalation["notify"]),
        ),
    )


def protocol_from_data(data: dict[str, Any], source: str = "") -> Protocol:
    """Rebuild a protocol from ``protocol_to_data``; ``ProtocolError`` if it does not fit."""
    try:
        data = json.loads(json.dumps(data))  # a private copy we may consume
        roles = [Role(**r) for r in data.pop("roles")]
        levels = [SeverityLevel(**s) for s in data.pop("severity_levels")]
        stages = []
        for stage in data.pop("stages"):
            steps = tuple(_step(s) for s in stage.pop("steps"))
            stages.append(Stage(**stage, steps=steps))
        if not roles or not stages:
            raise ValueError("a protocol needs roles and stages")
        return Protocol(
            **data,
            severity_levels=tuple(levels),
            roles={r.id: r for r in roles},
            stages=tuple(stages),
            source=source,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProtocolError(f"the protocol snapshot cannot be read ({exc})") from None


def protocol_snapshot(protocol: Protocol) -> str:
    """Canonical JSON of the protocol (sorted keys, no spaces): what the fingerprint covers."""
    return json.dumps(
        protocol_to_data(protocol), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def snapshot_fingerprint(snapshot: str) -> str:
    """SHA-256 (hex) of a snapshot's text."""
    return hashlib.sha256(snapshot.encode("utf-8")).hexdigest()


def protocol_fingerprint(protocol: Protocol) -> str:
    """SHA-256 of ``protocol_snapshot``: equal for the same content, whatever the file."""
    return snapshot_fingerprint(protocol_snapshot(protocol))


def protocol_from_snapshot(snapshot: str, fingerprint: str, source: str) -> Protocol:
    """The protocol stored in an incident; refuse a snapshot that does not match its hash."""
    actual = snapshot_fingerprint(snapshot)
    if actual != fingerprint:
        raise ProtocolError(
            f"{source}: the protocol snapshot does not match its fingerprint "
            f"({actual[:12]} != {fingerprint[:12]})"
        )
    try:
        data = json.loads(snapshot)
    except ValueError as exc:
        raise ProtocolError(f"{source}: the protocol snapshot is not JSON ({exc})") from None
    return protocol_from_data(data, source)
