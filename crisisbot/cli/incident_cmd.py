"""``crisisbot incident``: drive the incident engine without Discord.

``open``, ``list``, ``show``, ``act ID ACTION ...``, ``export``, ``verify``, ``due`` and
``transparency``. The CLI acts as ``--as NAME`` (default: $USER). Whoever can run the CLI can
reach the database, so the CLI actor is an incident admin unless ``--no-admin`` is given (useful to
check what a plain responder may do). Errors print ``Error: ...`` and exit 1.
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from crisisbot.cli.common import json_option, print_json, run_async, state
from crisisbot.cli.protocol_cmd import build_library
from crisisbot.composition import open_incident_service
from protocols import (
    INCIDENT_ADMIN,
    ActivateIncident,
    Actor,
    AddNote,
    AdvanceStage,
    AssignRole,
    AttachEvidence,
    ChangeSeverity,
    Close,
    Command,
    CompleteStep,
    Conclude,
    CorrectTimelineEntry,
    DeclareIncident,
    IncidentService,
    IncidentState,
    LinkHashEntry,
    Protocol,
    RecordMatch,
    ReopenStep,
    RoleAssigned,
    SkipStep,
    StoredEvent,
    UnassignRole,
    UnlinkHashEntry,
    describe_event,
    render_transparency,
)
from protocols.exports import FORMATS, ReaderClock, timeline_entry_json
from protocols.exports.report import Markup, corrected_time, timeline_cells

__all__ = ["command", "incident_service"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def incident_service() -> AsyncIterator[IncidentService]:
    """The service on the configured database (SQLite path or PostgreSQL DSN)."""
    library = build_library(skip_invalid=True)
    async with open_incident_service(state().settings, library=library, clock=_utc_now) as svc:
        yield svc


def _with_service(work: Callable[[IncidentService], Coroutine[Any, Any, Any]]) -> Any:
    async def runner() -> Any:
        async with incident_service() as svc:
            return await work(svc)

    return run_async(runner())


def _actor(name: str | None, admin: bool) -> Actor:
    who = name or getpass.getuser() or "cli"
    return Actor(who, who, frozenset({INCIDENT_ADMIN}) if admin else frozenset())


def _tz_option(default: str | None = None) -> Callable[..., Any]:
    return click.option(
        "--tz", default=default, help="Time zone for times (default: protocols.timezone or UTC)."
    )


def _zone(tz: str | None) -> str:
    return tz or state().settings.protocols.timezone


def _warn(message: str | None) -> None:
    if message:
        click.echo(f"Warning: {message}", err=True)


def _drill_mark(drill: bool) -> str:
    """The prefix of every printed line about a drill incident (docs/incidents.md: all marked)."""
    return "[DRILL] " if drill else ""


def _summary(s: IncidentState) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "protocol": s.protocol_id,
        "severity": s.severity,
        "status": s.status,
        "stage": s.current_stage,
        "drill": s.drill,
        "opened_at": s.opened_at.isoformat(),
        "version": s.version,
    }


def _event_json(record: StoredEvent, protocol: Protocol) -> dict[str, Any]:
    return {
        "version": record.version,
        "type": record.event_type,
        "recorded_at": record.recorded_at.isoformat(),
        "hash": record.hash,
        "text": describe_event(record.event, protocol),
    }


actor_options = [
    click.option("--as", "as_name", default=None, help="Act as this person (default: $USER)."),
    click.option(
        "--admin/--no-admin", default=True, help="Act as incident_admin (default) or not."
    ),
]


def _with_actor(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(actor_options):
        f = option(f)
    return f


@click.group(name="incident")
def command() -> None:
    """Open, drive, export and verify incidents."""


@command.command(name="open")
@click.option(
    "--protocol", "protocol_id", required=True, help="Protocol id (crisisbot protocol list)."
)
@click.option("--title", required=True)
@click.option("--severity", required=True, help="A severity level id of the protocol.")
@click.option("--drill", is_flag=True, help="Mark the incident as a drill (never in statistics).")
@click.option("--id", "incident_id", default=None, help="Incident id (default: generated).")
@_with_actor
@json_option
def open_incident(
    protocol_id: str,
    title: str,
    severity: str,
    drill: bool,
    incident_id: str | None,
    as_name: str | None,
    admin: bool,
    as_json: bool,
) -> None:
    """Declare a new incident; the declarer becomes its lead."""
    cmd = DeclareIncident(
        protocol_id, title, severity, _actor(as_name, admin), drill=drill, incident_id=incident_id
    )
    created = _with_service(lambda svc: svc.declare(cmd))
    if as_json:
        print_json(_summary(created))
    else:
        label = "DRILL incident" if created.drill else "Incident"
        click.echo(f"{label} {created.id} declared ({created.protocol_id}, {created.severity})")


@command.command(name="list")
@click.option("--open", "open_only", is_flag=True, help="Only incidents that are not closed.")
@click.option("--no-drills", is_flag=True, help="Leave drill incidents out.")
@_tz_option()
@json_option
def list_incidents(open_only: bool, no_drills: bool, tz: str | None, as_json: bool) -> None:
    """List incidents (id, status, stage, opened, title)."""
    states = _with_service(lambda svc: svc.list(open_only=open_only, include_drills=not no_drills))
    if as_json:
        print_json([_summary(s) for s in states])
        return
    if not states:
        click.echo("No incidents.", err=True)
    clock = ReaderClock(_zone(tz))
    for s in states:
        drill = " [DRILL]" if s.drill else ""
        opened = clock.show(s.opened_at)
        click.echo(f"{s.id:<24} {s.status:<10} {s.current_stage:<16} {opened}  {s.title}{drill}")


@command.command()
@click.argument("incident_id")
@_tz_option()
@json_option
def show(incident_id: str, tz: str | None, as_json: bool) -> None:
    """Show an incident: status, roles, steps with their deadlines."""

    async def work(svc: IncidentService) -> tuple[IncidentState, Any, Any, str | None]:
        s = await svc.get(incident_id)
        return s, svc.protocol_for(s), svc.due(s), svc.protocol_drift(s)

    s, protocol, due, drift = _with_service(work)
    _warn(drift)
    clock = ReaderClock(_zone(tz))
    due_by_step = {d.step_id: d for d in due}
    steps = []
    # step id -> its time as corrected, if so (the JSON and the text show the same)
    shown_at: dict[str, datetime | None] = {}
    for index, step in protocol.steps():
        st = s.step(step.id)
        d = due_by_step.get(step.id)
        shown_at[step.id] = corrected_time(s, st.version, st.at)
        steps.append(
            {
                "stage": protocol.stages[index].id,
                "id": step.id,
                "title": step.title,
                "role": step.role,
                "status": st.status,
                "by": st.by_name,
                "at": clock.iso(shown_at[step.id]),
                "due_at": clock.iso(d.due_at) if d else None,
                "overdue": bool(d and d.overdue),
            }
        )
    roles = {r: s.holders(r) for r in protocol.roles}
    if as_json:
        print_json(
            {
                **_summary(s),
                "protocol_version": s.protocol_version,
                "protocol_hash": s.protocol_hash or None,
                "protocol_warning": drift,
                "roles": roles,
                "steps": steps,
                "notes": len(s.notes),
            }
        )
        return
    drill = "  ** DRILL **" if s.drill else ""
    click.echo(f"{s.id}: {s.title}{drill}")
    click.echo(f"  protocol {s.protocol_id} v{s.protocol_version}, severity {s.severity}")
    click.echo(f"  status {s.status}, stage {s.current_stage}, opened {clock.show(s.opened_at)}")
    click.echo("Roles:")
    for role in protocol.roles.values():
        click.echo(f"  {role.name}: {', '.join(roles[role.id].values()) or '—'}")
    click.echo("Steps:")
    for row in steps:
        mark = {"done": "x", "skipped": "-"}.get(row["status"], " ")
        due_text = f" due {clock.show(due_by_step[row['id']].due_at)}" if row["due_at"] else ""
        late = " OVERDUE" if row["overdue"] else ""
        st = s.step(row["id"])
        at = shown_at[row["id"]]
        done = f" — {st.status} by {st.by_name} {clock.show(at)}" if st.finished else ""
        click.echo(f"  [{mark}] {row['stage']}/{row['id']}: {row['title']}{due_text}{late}{done}")


@command.command()
@click.argument("incident_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@_tz_option()
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE.")
@json_option
def export(incident_id: str, fmt: str, tz: str | None, output: str | None, as_json: bool) -> None:
    """Export an incident's full report (md, json, csv or a printable html file); --json is
    --format json."""
    if as_json and fmt != "json":
        explicit = click.get_current_context().get_parameter_source("fmt")
        if explicit is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError(f"--json asks for the json format; drop it or --format {fmt}")
        fmt = "json"
    zone = _zone(tz)
    text = _with_service(lambda svc: svc.export(incident_id, fmt, zone))
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


_TERMINAL = Markup(plain=str, struck=lambda s: f"[was: {s}]", new=str, note=lambda s: f" ({s})")


@command.command()
@click.argument("incident_id")
@_tz_option()
@json_option
def timeline(incident_id: str, tz: str | None, as_json: bool) -> None:
    """The timeline with entry numbers (for ``act ID correct --entry N``) and corrections."""
    report = _with_service(lambda svc: svc.report(incident_id))
    clock = ReaderClock(_zone(tz))
    if as_json:
        drill = report.state.drill
        print_json([{**timeline_entry_json(e, clock), "drill": drill} for e in report.timeline])
        return
    mark = _drill_mark(report.state.drill)
    for entry in report.timeline:
        when, what = timeline_cells(entry, clock, _TERMINAL)
        click.echo(f"{mark}#{entry.version:<4} {when}  {entry.actor}: {what}")


@command.command()
@click.argument("incident_id")
@json_option
def verify(incident_id: str, as_json: bool) -> None:
    """Check the incident's hash chain; exit 1 if any event was edited or removed."""

    async def work(svc: IncidentService) -> Any:
        report = await svc.verify(incident_id)
        return report, (await svc.get(incident_id)).drill

    report, drill = _with_service(work)
    mark = _drill_mark(drill)
    if as_json:
        print_json({**report.to_dict(), "drill": drill})
    elif report.ok:
        click.echo(
            f"{mark}{incident_id}: OK, {report.events_checked} events, head {report.head_hash}"
        )
    else:
        click.echo(f"{mark}{incident_id}: TAMPERED", err=True)
        for problem in report.problems:
            click.echo(f"{mark}  {problem}", err=True)
    if not report.ok:
        raise SystemExit(1)


@command.command()
@click.argument("incident_id")
@_tz_option()
@json_option
def due(incident_id: str, tz: str | None, as_json: bool) -> None:
    """List open steps with deadlines, overdue ones and pending escalations."""

    async def work(svc: IncidentService) -> Any:
        s = await svc.get(incident_id)
        return svc.due(s), s.drill

    items, drill = _with_service(work)
    mark = _drill_mark(drill)
    clock = ReaderClock(_zone(tz))
    if as_json:
        print_json(
            [
                {
                    "step": d.step_id,
                    "due_at": clock.iso(d.due_at),
                    "overdue": d.overdue,
                    "escalation_due": d.escalation_due,
                    "notify_roles": list(d.notify_roles),
                    "drill": drill,
                }
                for d in items
            ]
        )
        return
    for d in items:
        flags = " OVERDUE" if d.overdue else ""
        flags += f" ESCALATE to {', '.join(d.notify_roles)}" if d.escalation_due else ""
        click.echo(f"{mark}{clock.show(d.due_at)}  {d.step_id}: {d.title}{flags}")


@command.command()
@click.option("--since", type=click.DateTime(), default=None, help="Opened at or after (UTC).")
@click.option("--until", type=click.DateTime(), default=None, help="Opened before (UTC).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md")
@_tz_option()
@json_option
def transparency(
    since: datetime | None, until: datetime | None, fmt: str, tz: str | None, as_json: bool
) -> None:
    """Public transparency figures over real incidents (drills are never counted)."""
    fmt = "json" if as_json else fmt
    start = since.replace(tzinfo=UTC) if since else None
    end = until.replace(tzinfo=UTC) if until else None
    summary = _with_service(lambda svc: svc.transparency(since=start, until=end))
    click.echo(render_transparency(summary, fmt, _zone(tz)), nl=False)


# -- act ---------------------------------------------------------------------------------------
@command.group()
@click.argument("incident_id")
@click.pass_context
def act(ctx: click.Context, incident_id: str) -> None:
    """Act on INCIDENT_ID, e.g. ``act ID complete STEP --note ... [--as NAME] [--json]``."""
    ctx.meta["crisisbot.incident_id"] = incident_id


def act_command(name: str | None = None) -> Callable[[Callable[..., None]], click.Command]:
    """Register an ``act`` subcommand with the shared ``--as``, ``--admin`` and ``--json``."""

    def decorate(f: Callable[..., None]) -> click.Command:
        @functools.wraps(f)
        def wrapper(*args: Any, as_name: str | None, admin: bool, as_json: bool, **kw: Any) -> None:
            meta = click.get_current_context().meta
            meta["crisisbot.actor"] = _actor(as_name, admin)
            meta["crisisbot.json"] = as_json
            f(*args, **kw)

        return act.command(name=name)(_with_actor(json_option(wrapper)))

    return decorate


def _submit(build: Callable[[Actor], Command]) -> None:
    meta = click.get_current_context().meta
    incident_id = meta["crisisbot.incident_id"]
    cmd = build(meta["crisisbot.actor"])

    async def work(svc: IncidentService) -> tuple[list[StoredEvent], Any, str | None, bool]:
        stored = await svc.execute(incident_id, cmd)
        current = await svc.get(incident_id)
        return stored, svc.protocol_for(current), svc.protocol_drift(current), current.drill

    stored, protocol, drift, drill = _with_service(work)
    _warn(drift)
    if meta["crisisbot.json"]:
        print_json([{**_event_json(r, protocol), "drill": drill} for r in stored])
        return
    mark = _drill_mark(drill)
    for record in stored:
        click.echo(f"{mark}#{record.version} {describe_event(record.event, protocol)}")
        event = record.event
        if isinstance(event, RoleAssigned) and protocol.roles[event.role].instructions:
            role = protocol.roles[event.role]
            click.echo(
                f"{mark}  Instructions for {event.user_name} ({role.name}): {role.instructions}"
            )


@act_command()
@click.option("--reason", default="")
def activate(reason: str) -> None:
    """Record the formal activation decision."""
    _submit(lambda a: ActivateIncident(reason, actor=a))


@act_command()
@click.argument("role")
@click.argument("user_id")
@click.option("--name", default=None, help="Display name (default: USER_ID).")
def assign(role: str, user_id: str, name: str | None) -> None:
    """Give ROLE to USER_ID."""
    _submit(lambda a: AssignRole(role, user_id, name or user_id, actor=a))


@act_command()
@click.argument("role")
@click.argument("user_id")
def unassign(role: str, user_id: str) -> None:
    """Take ROLE away from USER_ID."""
    _submit(lambda a: UnassignRole(role, user_id, actor=a))


@act_command()
@click.argument("step_id")
@click.option("--note", default="")
@click.option("--evidence", default=None, help="Text, URL or hash, as the step expects.")
def complete(step_id: str, note: str, evidence: str | None) -> None:
    """Complete STEP_ID."""
    _submit(lambda a: CompleteStep(step_id, note, evidence, actor=a))


@act_command()
@click.argument("step_id")
@click.option("--reason", required=True)
def skip(step_id: str, reason: str) -> None:
    """Skip STEP_ID with a reason."""
    _submit(lambda a: SkipStep(step_id, reason, actor=a))


@act_command()
@click.argument("step_id")
@click.option("--reason", required=True)
def reopen(step_id: str, reason: str) -> None:
    """Reopen a done or skipped STEP_ID."""
    _submit(lambda a: ReopenStep(step_id, reason, actor=a))


@act_command()
@click.argument("value")
@click.option("--kind", type=click.Choice(["text", "link", "hash"]), required=True)
@click.option("--step", "step_id", default=None, help="Attach to this step (default: incident).")
def evidence(value: str, kind: str, step_id: str | None) -> None:
    """Attach evidence VALUE (text, link or hash) to a step or the incident."""
    _submit(lambda a: AttachEvidence(step_id, kind, value, actor=a))


@act_command()
@click.argument("level")
@click.option("--reason", required=True)
def severity(level: str, reason: str) -> None:
    """Change the severity (tier) to LEVEL."""
    _submit(lambda a: ChangeSeverity(level, reason, actor=a))


@act_command()
@click.argument("text")
def note(text: str) -> None:
    """Add a note to the timeline."""
    _submit(lambda a: AddNote(text, actor=a))


@act_command()
@click.option("--reason", required=True)
def advance(reason: str) -> None:
    """Move to the next stage even if required steps are open."""
    _submit(lambda a: AdvanceStage(reason, actor=a))


@act_command()
@click.option("--summary", required=True)
def conclude(summary: str) -> None:
    """Conclude the incident (hashes may still be linked afterwards)."""
    _submit(lambda a: Conclude(summary, actor=a))


@act_command("close")
@click.option("--reason", required=True)
def close_incident(reason: str) -> None:
    """Close the incident; its timeline becomes final."""
    _submit(lambda a: Close(reason, actor=a))


@act_command("link-hash")
@click.argument("entry_id")
@click.option("--list", "list_name", required=True)
@click.option("--signal", required=True, help="Signal type, e.g. pdq, md5.")
@click.option("--value", required=True, help="The hash value.")
def link_hash(entry_id: str, list_name: str, signal: str, value: str) -> None:
    """Link hash list entry ENTRY_ID to the incident (the hash is checked against its signal)."""
    from hashdb.signals import get_signal  # only this command needs the hash database package

    signal_type = get_signal(signal)
    normalised = signal_type.parse(value)
    _submit(lambda a: LinkHashEntry(entry_id, list_name, signal_type.name, normalised, actor=a))


@act_command("unlink-hash")
@click.argument("entry_id")
@click.option("--reason", required=True)
def unlink_hash(entry_id: str, reason: str) -> None:
    """Record that a linked entry was removed from its list."""
    _submit(lambda a: UnlinkHashEntry(entry_id, reason, actor=a))


@act_command()
@click.argument("entry_id")
@click.option("--by", "reported_by", required=True, help="Who reported the matches.")
@click.option("--count", type=click.IntRange(min=1), default=1)
def match(entry_id: str, reported_by: str, count: int) -> None:
    """Record COUNT matches reported against linked entry ENTRY_ID."""
    _submit(lambda a: RecordMatch(entry_id, reported_by, count, actor=a))


def _parse_time(value: str | None, tz: str) -> datetime | None:
    """An ISO 8601 time; without an offset it is read in ``tz``."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time (e.g. 2026-03-15T14:32:00+13:00)",
            param_hint="--time",
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ReaderClock(tz).zone)


@act_command()
@click.option("--entry", type=int, required=True, help="The entry's number (# in exports).")
@click.option("--text", default=None, help="The entry's corrected wording.")
@click.option("--time", "when", default=None, help="When it really happened (ISO 8601).")
@click.option("--retract", is_flag=True, help="The entry should not have been recorded.")
@click.option("--reason", required=True)
@_tz_option()
def correct(
    entry: int, text: str | None, when: str | None, retract: bool, reason: str, tz: str | None
) -> None:
    """Correct timeline entry N (lead, scribe or admin); the original stays visible."""
    time = _parse_time(when, _zone(tz))
    _submit(lambda a: CorrectTimelineEntry(entry, reason, text, time, retract, actor=a))
