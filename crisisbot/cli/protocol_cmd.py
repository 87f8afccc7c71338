"""``crisisbot protocol``: validate, list and show crisis protocols (YAML files).

``validate FILE...`` reports every problem as ``file:line:column: message`` and exits 1 if any
file is invalid; ``list`` and ``show ID`` read the library (shipped protocols plus
``protocols.extra_dirs`` from the configuration).
"""

from __future__ import annotations

from typing import Any

import click

from crisisbot.cli.common import json_option, print_json, state
from crisisbot.composition import protocol_library
from protocols import Protocol, ProtocolLibrary, ProtocolLoadError, format_duration, load_protocol

__all__ = ["build_library", "command", "protocol_outline"]


def build_library(*, skip_invalid: bool = False) -> ProtocolLibrary:
    """The deployment's protocol library (shipped + ``protocols.extra_dirs``).

    With ``skip_invalid`` (commands on existing incidents, which run under their own protocol
    snapshot) a broken file is left out with a warning on stderr instead of stopping the command.
    """
    library = protocol_library(state().settings, skip_invalid=skip_invalid)
    for problem in library.problems:
        click.echo(f"Warning: protocol file left out: {problem}", err=True)
    return library


def protocol_outline(protocol: Protocol) -> dict[str, Any]:
    """A JSON-ready outline of a protocol."""
    return {
        "id": protocol.id,
        "version": protocol.version,
        "name": protocol.name,
        "modelled_on": protocol.modelled_on,
        "description": protocol.description,
        "source": protocol.source,
        "severity_levels": [{"id": s.id, "name": s.name} for s in protocol.severity_levels],
        "roles": [
            {"id": r.id, "name": r.name, "lead": r.lead, "instructions": r.instructions}
            for r in protocol.roles.values()
        ],
        "stages": [
            {
                "id": stage.id,
                "name": stage.name,
                "steps": [
                    {
                        "id": s.id,
                        "title": s.title,
                        "role": s.role,
                        "required": s.required,
                        "depends_on": list(s.depends_on),
                        "target": format_duration(s.target) if s.target else None,
                        "relative_to": s.relative_to,
                        "evidence": s.evidence,
                        "escalation": None
                        if s.escalation is None
                        else {
                            "after": format_duration(s.escalation.after),
                            "notify": list(s.escalation.notify_roles),
                        },
                    }
                    for s in stage.steps
                ],
            }
            for stage in protocol.stages
        ],
    }


def _render_outline(protocol: Protocol) -> None:
    click.echo(f"{protocol.name}  [{protocol.id} v{protocol.version}]")
    click.echo(f"Modelled on {protocol.modelled_on}")
    if protocol.description:
        click.echo(protocol.description)
    levels = ", ".join(f"{s.name} ({s.id})" for s in protocol.severity_levels)
    click.echo(f"\nSeverity levels: {levels}\n\nRoles:")
    for role in protocol.roles.values():
        lead = " [lead]" if role.lead else ""
        click.echo(f"  - {role.name} ({role.id}){lead}")
    for number, stage in enumerate(protocol.stages, start=1):
        click.echo(f"\nStage {number}: {stage.name} ({stage.id})")
        for step in stage.steps:
            facts = [f"role {step.role}"]
            if not step.required:
                facts.append("optional")
            if step.target:
                facts.append(f"target {format_duration(step.target)} after {step.relative_to}")
            if step.depends_on:
                facts.append(f"after {', '.join(step.depends_on)}")
            if step.evidence:
                facts.append(f"evidence: {step.evidence}")
            if step.escalation:
                notify = ", ".join(step.escalation.notify_roles)
                facts.append(f"escalate +{format_duration(step.escalation.after)} to {notify}")
            click.echo(f"  - {step.title} ({step.id}): {'; '.join(facts)}")


@click.group(name="protocol")
def command() -> None:
    """Validate and show crisis protocols."""


@command.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
def validate(files: tuple[str, ...], as_json: bool) -> None:
    """Check protocol FILES; every problem is reported as file:line:column: message."""
    results = []
    for path in files:
        try:
            protocol = load_protocol(path)
        except ProtocolLoadError as exc:
            errors = [
                {"line": e.line, "column": e.column, "message": e.message} for e in exc.errors
            ]
            results.append({"file": path, "ok": False, "id": None, "errors": errors})
            if not as_json:
                for e in exc.errors:
                    click.echo(str(e), err=True)
            continue
        results.append({"file": path, "ok": True, "id": protocol.id, "errors": []})
        if not as_json:
            click.echo(f"{path}: ok ({protocol.id} v{protocol.version})")
    if as_json:
        print_json(results)
    if not all(r["ok"] for r in results):
        raise SystemExit(1)


@command.command(name="list")
@json_option
def list_protocols(as_json: bool) -> None:
    """List the protocols in the library."""
    protocols = build_library().all()
    if as_json:
        print_json(
            [
                {"id": p.id, "version": p.version, "name": p.name, "source": p.source}
                for p in protocols
            ]
        )
        return
    for p in protocols:
        click.echo(f"{p.id:<24} v{p.version:<6} {p.name}")


@command.command()
@click.argument("protocol_id")
@json_option
def show(protocol_id: str, as_json: bool) -> None:
    """Show a readable outline of protocol PROTOCOL_ID."""
    protocol = build_library().get(protocol_id)
    if as_json:
        print_json(protocol_outline(protocol))
    else:
        _render_outline(protocol)
