"""Who may do what. One table, used by ``decide``; documented in docs/incidents.md.

The rule, in order:

1. An actor with the platform permission ``incident_admin`` may do anything.
2. Declaring and closing an incident need ``incident_admin`` (nothing else grants them).
3. Holders of the protocol's lead role may do everything else.
4. A step may be completed (and get evidence) by a holder of the step's responsible role, or by
   a holder of a role with ``can_manage_steps``; skipping and reopening need ``can_manage_steps``.
5. Other actions need a role with the matching ``can_*`` flag: activating (``can_activate``),
   assigning roles (``can_assign_roles``; anyone may unassign themselves), changing severity,
   advancing a stage, concluding, recording the timeline (also the platform permission
   ``timeline_recorder``), linking hashes or matches (also ``hash_coordinator``) and correcting
   timeline entries (``can_correct_timeline``; no platform permission grants it).
6. Notes and evidence not tied to a step: any holder of an incident role or named participant.
"""

from __future__ import annotations

from protocols.actors import Actor
from protocols.definition import Protocol
from protocols.errors import NotAllowed
from protocols.state import IncidentState

__all__ = ["may", "require"]

_LABELS = {
    "can_activate": "activate the incident",
    "can_assign_roles": "assign roles",
    "can_manage_steps": "skip or reopen steps",
    "can_change_severity": "change the severity",
    "can_advance_stage": "advance the stage",
    "can_conclude": "conclude the incident",
    "can_record_timeline": "record the timeline",
    "can_link_hashes": "link hash entries",
    "can_correct_timeline": "correct the timeline",
    "participant": "add notes or evidence",
}


def may(
    state: IncidentState,
    protocol: Protocol,
    actor: Actor,
    permission: str,
    *,
    platform: str | None = None,
    step_role: str | None = None,
) -> bool:
    """True when ``actor`` holds ``permission`` (a ``can_*`` flag, or "participant")."""
    if actor.is_admin or (platform is not None and platform in actor.roles):
        return True
    held = state.roles_of(actor.id)
    if step_role is not None and step_role in held:
        return True
    if permission == "participant":
        return bool(held) or actor.id in state.participants
    return any(protocol.roles[r].allows(permission) for r in held if r in protocol.roles)


def require(
    state: IncidentState,
    protocol: Protocol,
    actor: Actor,
    permission: str,
    *,
    platform: str | None = None,
    step_role: str | None = None,
    action: str | None = None,
) -> None:
    """Raise ``NotAllowed`` with a message naming what would allow the action."""
    if may(state, protocol, actor, permission, platform=platform, step_role=step_role):
        return
    what = action or _LABELS.get(permission, permission)
    if permission == "participant":
        raise NotAllowed(
            f"{actor.name} may not {what} in incident {state.id}: only holders of an incident "
            "role, named participants and incident admins may"
        )
    who = [protocol.lead_role.name]
    if step_role:
        who.insert(0, protocol.roles[step_role].name)
    flagged = [
        r.name for r in protocol.roles.values() if not r.lead and getattr(r, permission, False)
    ]
    who.extend(flagged)
    raise NotAllowed(
        f"{actor.name} may not {what} in incident {state.id}: "
        f"needs role {' or '.join(dict.fromkeys(who))}, or incident_admin"
    )
