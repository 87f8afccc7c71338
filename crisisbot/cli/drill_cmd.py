"""``crisisbot drill``: validate, list, show and run tabletop drill scenarios in the terminal.

``validate FILE...`` checks scenario files against the protocol library and reports every
problem as ``file:line:column: message`` (exit 1 if any file is invalid). ``list`` shows the
shipped scenarios plus ``drills.extra_dirs``; ``show SCENARIO`` outlines one (cast, injects,
expectations). ``run SCENARIO`` plays a scenario (an id or a file) against the configured
database: a drill incident (``drill=True``) through the real engine, drill hashes only in the
run's own exercise list. Participants' actions come from ``--script FILE`` or are typed at the
prompt (``help`` lists them; ``--record FILE`` saves them for replay); ``--speed N`` runs drill
time N times faster than the wall clock. ``--report md|json|html`` writes the after-action report
to ``--output`` (or prints it at the end).
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from crisisbot.cli.common import json_option, print_json, run_async, state
from crisisbot.cli.drill_terminal import PROMPT_HELP, TerminalSink, handle_line
from crisisbot.cli.protocol_cmd import build_library
from crisisbot.composition import open_drill_services, scenario_library
from protocols.drills import (
    REPORT_FORMATS,
    AfterActionReport,
    DrillClock,
    DrillRunner,
    Inject,
    Scenario,
    ScenarioLibrary,
    ScenarioLoadError,
    ScriptedAction,
    create_runner,
    format_offset,
    load_scenario,
    load_script,
    render_report,
    report_to_dict,
    script_to_json,
)
from protocols.errors import ProtocolError
from protocols.exports import ReaderClock

__all__ = ["build_scenario_library", "command", "scenario_outline"]


def build_scenario_library() -> ScenarioLibrary:
    """Shipped scenarios plus ``drills.extra_dirs``, validated against the protocol library."""
    return scenario_library(state().settings, build_library())


@click.group(name="drill")
def command() -> None:
    """Validate and run tabletop drill scenarios."""


@command.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
def validate_cmd(files: tuple[str, ...], as_json: bool) -> None:
    """Check scenario FILES; print every problem with file:line:column."""
    library = build_library()
    results: list[dict[str, Any]] = []
    for path in files:
        try:
            scenario = load_scenario(path, protocols=library)
        except ScenarioLoadError as exc:
            results.append(
                {
                    "file": path,
                    "ok": False,
                    "errors": [
                        {"line": i.line, "column": i.column, "message": i.message}
                        for i in exc.issues
                    ],
                }
            )
            if not as_json:
                for issue in exc.issues:
                    click.echo(str(issue), err=True)
            continue
        results.append({"file": path, "ok": True, "id": scenario.id, "errors": []})
        if not as_json:
            click.echo(
                f"{path}: OK ({scenario.id} v{scenario.version}, {len(scenario.injects)} "
                f"injects, {len(scenario.expectations)} expectations)"
            )
    if as_json:
        print_json(results)
    if not all(r["ok"] for r in results):
        sys.exit(1)


@command.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """List the available scenarios."""
    scenarios = build_scenario_library().all()
    rows = [
        {
            "id": s.id,
            "version": s.version,
            "title": s.title,
            "protocol": s.protocol,
            "duration": format_offset(s.duration),
            "injects": len(s.injects),
            "expectations": len(s.expectations),
            "source": s.source,
        }
        for s in scenarios
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['id']}  v{row['version']}  [{row['protocol']}, {row['duration']}, "
            f"{row['injects']} injects]  {row['title']}"
        )


def scenario_outline(scenario: Scenario) -> dict[str, Any]:
    """A JSON-ready outline of a scenario: cast, injects in time order, expectations."""
    return {
        "id": scenario.id,
        "version": scenario.version,
        "title": scenario.title,
        "protocol": scenario.protocol,
        "severity": scenario.severity,
        "duration": format_offset(scenario.duration),
        "modelled_on": scenario.modelled_on,
        "description": scenario.description,
        "participants": {p.name: list(p.roles) for p in scenario.participants},
        "injects": [
            {"id": i.id, "at": format_offset(i.at), "kind": i.kind.value, "what": _inject_text(i)}
            for i in scenario.injects
        ],
        "expectations": [{"id": x.id, "expected": x.describe()} for x in scenario.expectations],
    }


def _inject_text(inject: Inject) -> str:
    if inject.upload is not None:
        upload = inject.upload
        source = (
            f"variant of {upload.variant_of} ({', '.join(e.kind for e in upload.edits)})"
            if upload.variant_of
            else f"{upload.literal.signal} hash"
            if upload.literal
            else f"picture, seed {upload.seed}"
        )
        expect = f", expect {upload.expect.value}" if upload.expect else ""
        return f"upload on {upload.platform}: {source}{expect}"
    if inject.report is not None:
        return (
            f"report from {inject.report.platform} ({inject.report.count}x): {inject.report.text}"
        )
    if inject.severity is not None:
        return f"severity -> {inject.severity}"
    return f"{inject.sender}: {inject.text}" if inject.sender else inject.text


@command.command("show")
@click.argument("scenario")
@json_option
def show_cmd(scenario: str, as_json: bool) -> None:
    """Outline SCENARIO (id or file): cast, injects in time order, expectations."""
    outline = scenario_outline(build_scenario_library().find(scenario))
    if as_json:
        print_json(outline)
        return
    click.echo(f"{outline['title']}  [{outline['id']} v{outline['version']}, DRILL]")
    click.echo(
        f"Protocol {outline['protocol']}, starts at severity {outline['severity']}, "
        f"ends at {outline['duration']}"
    )
    if outline["modelled_on"]:
        click.echo(f"Modelled on {outline['modelled_on']}")
    click.echo("\nCast:")
    for name, roles in outline["participants"].items():
        click.echo(f"  {name}: {', '.join(roles)}")
    click.echo("\nInjects:")
    for inject in outline["injects"]:
        click.echo(f"  {inject['at']:>9}  {inject['id']:<4} {inject['what']}")
    click.echo("\nExpected:")
    for expectation in outline["expectations"]:
        click.echo(f"  {expectation['id']:<4} {expectation['expected']}")


def _start_prompt(runner: DrillRunner) -> asyncio.Task[None]:
    """Read typed lines on a daemon thread; handle them one at a time, in order, on the loop."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)

    async def consume() -> None:
        while True:
            await handle_line(runner, await lines.get())

    threading.Thread(target=read, name="drill-prompt", daemon=True).start()
    return loop.create_task(consume())


async def _run_drill(
    scenario_ref: str,
    *,
    speed: float,
    script_path: str | None,
    run_id: str | None,
    t0: datetime,
    as_json: bool,
) -> tuple[AfterActionReport, list[ScriptedAction]]:
    settings = state().settings
    scenario = build_scenario_library().find(scenario_ref)
    script = load_script(script_path) if script_path else ()
    library = build_library()
    clock = DrillClock(t0, speed=speed)
    sink = TerminalSink(sys.stdout, as_json=as_json)
    async with open_drill_services(settings, library=library, clock=clock.now) as services:
        runner = create_runner(
            scenario,
            library=library,
            incidents=services.incidents,
            exercise_hashes=services.exercise_hashes,
            clock=clock,
            sink=sink,
            script=script,
            run_id=run_id,
        )
        await runner.start()
        if script:
            return await runner.run(), []
        if not as_json:
            click.echo(PROMPT_HELP)
        prompt = _start_prompt(runner)
        try:
            report = await runner.run()
        finally:
            prompt.cancel()
        return report, runner.typed_actions()


@command.command("run")
@click.argument("scenario")
@click.option(
    "--speed",
    type=float,
    default=None,
    help="Drill time per wall-clock time (default drills.default_speed).",
)
@click.option(
    "--script",
    "script_path",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML/JSON file of participant actions at offsets (no prompt).",
)
@click.option(
    "--report",
    "report_format",
    type=click.Choice(REPORT_FORMATS),
    help="After-action report format.",
)
@click.option("--output", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option("--timezone", default=None, help="Time zone of report times (default UTC).")
@click.option("--run-id", default=None, help="Run id (default: T0 plus random digits).")
@click.option(
    "--record",
    type=click.Path(dir_okay=False),
    help="Save the actions typed at the prompt as a script (replay with --script).",
)
@click.option("--t0", "t0_text", default=None, help="Drill start as ISO 8601 (default: now, UTC).")
@json_option
def run_cmd(
    scenario: str,
    speed: float | None,
    script_path: str | None,
    report_format: str | None,
    output: str | None,
    timezone: str | None,
    run_id: str | None,
    record: str | None,
    t0_text: str | None,
    as_json: bool,
) -> None:
    """Play SCENARIO (id or file) in the terminal; actions typed at the prompt or scripted."""
    speed = state().settings.drills.default_speed if speed is None else speed
    if speed <= 0:
        raise click.BadParameter("must be positive", param_hint="--speed")
    if record and script_path:
        raise click.BadParameter(
            "only without --script (it saves typed actions)", param_hint="--record"
        )
    if output and not report_format:
        report_format = Path(output).suffix.lstrip(".").lower()
        if report_format not in REPORT_FORMATS:
            raise click.BadParameter("give --report md|json|html", param_hint="--output")
    t0 = _parse_t0(t0_text)
    zone = timezone or state().settings.protocols.timezone
    _check_before_the_drill(zone, output=output, record=record)
    report, typed = run_async(
        _run_drill(
            scenario,
            speed=speed,
            script_path=script_path,
            run_id=run_id,
            t0=t0,
            as_json=as_json,
        )
    )
    if record:
        Path(record).write_text(script_to_json(typed), encoding="utf-8")
    if report_format and output:
        Path(output).write_text(
            render_report(report, report_format, timezone=zone), encoding="utf-8"
        )
        click.echo(f"[DRILL] after-action report written to {output}", err=True)
    elif report_format:
        click.echo(render_report(report, report_format, timezone=zone), nl=False)
    if as_json:
        # one JSON line like every record before it, so a JSON-lines reader gets the report too
        record_line = {"drill": True, "kind": "report", "report": report_to_dict(report, zone)}
        click.echo(json.dumps(record_line, ensure_ascii=False, default=str))
    summary = report.summary
    if not as_json:
        click.echo(
            f"[DRILL] run {report.run_id}: {summary['met']} met, {summary['late']} late, "
            f"{summary['missed']} missed",
            err=True,
        )


def _check_before_the_drill(zone: str, *, output: str | None, record: str | None) -> None:
    """Refuse a time zone or a file the drill would only use at its end, after hours of play."""
    try:
        ReaderClock(zone)
    except ProtocolError as exc:
        raise click.BadParameter(str(exc), param_hint="--timezone") from None
    for path, hint in ((output, "--output"), (record, "--record")):
        if path is not None and not Path(path).expanduser().absolute().parent.is_dir():
            raise click.BadParameter(f"no folder for {path}", param_hint=hint)


def _parse_t0(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {text!r}", param_hint="--t0") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
