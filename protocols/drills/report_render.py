"""Rendering an after-action report as Markdown, JSON or one self-contained HTML file.

Every rendering is marked as a drill on every line (Markdown and HTML table rows carry a DRILL
cell; JSON carries ``"drill": true`` at the top and in every record), so a page torn out of a
printed report, or a record pulled out of the JSON, cannot be mistaken for a real incident.
Rows keep the report's stable order, so two runs of the same scenario can be diffed.
Times are drill offsets (``T+mm:ss``) with the full date and time in the chosen time zone.

Imports only ``protocols.drills`` modules and the standard library.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from protocols.drills.after_action import AfterActionReport
from protocols.drills.offsets import format_offset

__all__ = ["REPORT_FORMATS", "render_report", "report_to_dict"]

REPORT_FORMATS = ("md", "json", "html")
MARK = "DRILL"
BANNER = "DRILL — exercise only, not a real incident"


class _Times:
    def __init__(self, t0: datetime, zone: tzinfo) -> None:
        self.t0 = t0
        self.zone = zone

    def offset(self, delta: timedelta | None) -> str:
        return "—" if delta is None else format_offset(delta)

    def wall(self, delta: timedelta | None) -> str:
        if delta is None:
            return "—"
        return (self.t0 + delta).astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S %Z")

    def both(self, delta: timedelta | None) -> str:
        return "—" if delta is None else f"{self.offset(delta)} ({self.wall(delta)})"

    def iso(self, delta: timedelta | None) -> str | None:
        return None if delta is None else (self.t0 + delta).astimezone(self.zone).isoformat()


def _zone(timezone: str | tzinfo) -> tzinfo:
    return ZoneInfo(timezone) if isinstance(timezone, str) else timezone


def report_to_dict(report: AfterActionReport, timezone: str | tzinfo = "UTC") -> dict[str, Any]:
    """JSON form: offsets as ``T+mm:ss`` plus ISO datetimes; every record is drill-marked."""
    t = _Times(report.t0, _zone(timezone))

    def when(prefix: str, delta: timedelta | None) -> dict[str, Any]:
        return {prefix: None if delta is None else t.offset(delta), f"{prefix}_at": t.iso(delta)}

    return {
        "drill": True,
        "marking": BANNER,
        "run_id": report.run_id,
        "scenario": {
            "id": report.scenario_id,
            "version": report.scenario_version,
            "title": report.scenario_title,
        },
        "protocol": {"id": report.protocol_id, "version": report.protocol_version},
        "incident_id": report.incident_id,
        "exercise_list": report.exercise_list,
        "t0": t.iso(timedelta(0)),
        **when("ended", report.ended),
        "end_reason": report.end_reason,
        "speed": report.speed,
        "time_to_activation": (
            None if report.time_to_activation is None else t.offset(report.time_to_activation)
        ),
        "summary": report.summary,
        "injects": {"delivered": report.injects_delivered, "total": report.injects_total},
        "expectations": [
            {
                "drill": True,
                "id": x.id,
                "description": x.description,
                "kind": x.kind,
                "status": x.status,
                **when("deadline", x.deadline),
                **when("actual", x.actual),
                "detail": x.detail,
            }
            for x in report.expectations
        ],
        "steps": [
            {
                "drill": True,
                "stage": s.stage_id,
                "step": s.step_id,
                "title": s.title,
                "role": s.role,
                "required": s.required,
                **when("target", s.target),
                **when("completed", s.completed),
                "by": s.by,
                "status": s.status,
                "note": s.note,
            }
            for s in report.steps
        ],
        "uploads": [
            {
                "drill": True,
                "inject": u.inject_id,
                **when("injected", u.at),
                "platform": u.platform,
                "expected": u.expected,
                "matched": u.matched,
                "distance": u.distance,
                "as_expected": u.as_expected,
                **when("hash_added", u.hash_added),
            }
            for u in report.uploads
        ],
        "never_done": [{"drill": True, "item": item} for item in report.never_done],
        "refused_actions": [
            {"drill": True, "at": t.offset(at), "action": action, "reason": reason}
            for at, action, reason in report.refused_actions
        ],
    }


def _status_mark(status: str) -> str:
    return {"met": "MET", "late": "LATE", "missed": "MISSED"}.get(status, status)


def _upload_outcome(expected: str | None, matched: bool, as_expected: bool | None) -> str:
    got = "match" if matched else "no match"
    if as_expected is None:
        return got
    return f"{got} (as expected)" if as_expected else f"{got} (expected {expected})"


def _rows(report: AfterActionReport, t: _Times) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The report's tables, shared by Markdown and HTML so both show the same facts."""
    return {
        "Expectations": (
            ["Id", "Expected", "Deadline", "Actual", "Result", "Detail"],
            [
                [
                    x.id,
                    x.description,
                    t.both(x.deadline),
                    t.both(x.actual),
                    _status_mark(x.status),
                    x.detail,
                ]
                for x in report.expectations
            ],
        ),
        "Steps against the protocol's targets": (
            ["Stage", "Step", "Role", "Target", "Completed", "By", "Status"],
            [
                [
                    s.stage_id,
                    f"{s.step_id}: {s.title}" + ("" if s.required else " (optional)"),
                    s.role,
                    t.both(s.target),
                    t.both(s.completed),
                    s.by or "—",
                    s.status,
                ]
                for s in report.steps
            ],
        ),
        "Simulated uploads": (
            ["Inject", "At", "Platform", "Lookup", "Distance", "Hash added"],
            [
                [
                    u.inject_id,
                    t.offset(u.at),
                    u.platform,
                    _upload_outcome(u.expected, u.matched, u.as_expected),
                    "—" if u.distance is None else str(u.distance),
                    t.offset(u.hash_added),
                ]
                for u in report.uploads
            ],
        ),
        "Refused actions": (
            ["At", "Action", "Reason"],
            [[t.offset(at), action, reason] for at, action, reason in report.refused_actions],
        ),
    }


def _facts(report: AfterActionReport, t: _Times) -> list[tuple[str, str]]:
    summary = report.summary
    speed = "virtual time" if report.speed is None else f"x{report.speed:g}"
    return [
        ("Scenario", f"{report.scenario_id} v{report.scenario_version} — {report.scenario_title}"),
        ("Protocol", f"{report.protocol_id} v{report.protocol_version}"),
        ("Run", f"{report.run_id} (incident {report.incident_id}, speed {speed})"),
        ("T0", t.wall(timedelta(0))),
        ("Ended", f"{t.both(report.ended)}, {report.end_reason}"),
        ("Injects delivered", f"{report.injects_delivered} of {report.injects_total}"),
        ("Exercise hash list", report.exercise_list),
        (
            "Time to activation",
            t.offset(report.time_to_activation)
            if report.time_to_activation is not None
            else "never activated",
        ),
        (
            "Expectations",
            f"{summary['met']} met, {summary['late']} late, {summary['missed']} missed",
        ),
    ]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: AfterActionReport, timezone: str | tzinfo = "UTC") -> str:
    t = _Times(report.t0, _zone(timezone))
    lines = [f"# {MARK} — After-action report: {report.scenario_title}", "", f"**{BANNER}**", ""]
    lines += [f"- {MARK} · {name}: {_md_cell(value)}" for name, value in _facts(report, t)]
    for title, (header, rows) in _rows(report, t).items():
        lines += ["", f"## {MARK} — {title}", ""]
        if not rows:
            lines.append(f"{MARK} · none")
            continue
        lines.append("| " + " | ".join([MARK, *header]) + " |")
        lines.append("|" + "---|" * (len(header) + 1))
        lines += ["| " + " | ".join([MARK, *map(_md_cell, row)]) + " |" for row in rows]
    lines += ["", f"## {MARK} — Never done", ""]
    lines += [f"- {MARK} · {_md_cell(item)}" for item in report.never_done] or [f"{MARK} · nothing"]
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#111;max-width:70em}
.banner{background:#b00020;color:#fff;font-weight:bold;padding:.5em 1em;text-align:center;
letter-spacing:.1em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em;font-size:.9em}
th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eee} td.drill,th.drill{color:#b00020;font-weight:bold;font-size:.75em}
.MET{color:#05620c;font-weight:bold}.LATE{color:#8a5a00;font-weight:bold}
.MISSED{color:#b00020;font-weight:bold}
@media print{.banner{position:fixed;top:0;left:0;right:0}body{margin-top:3em}
tr{page-break-inside:avoid}}
"""


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = (
        f'<tr><th class="drill">{MARK}</th>'
        + "".join(f"<th>{html.escape(h)}</th>" for h in header)
        + "</tr>"
    )
    body = "".join(
        f'<tr><td class="drill">{MARK}</td>'
        + "".join(
            f'<td class="{html.escape(c)}">{html.escape(c)}</td>'
            if c in ("MET", "LATE", "MISSED")
            else f"<td>{html.escape(c)}</td>"
            for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>{head}{body}</table>"


def render_html(report: AfterActionReport, timezone: str | tzinfo = "UTC") -> str:
    t = _Times(report.t0, _zone(timezone))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{MARK} — After-action report: {html.escape(report.scenario_title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f'<div class="banner">{html.escape(BANNER)}</div>',
        f"<h1>{MARK} — After-action report: {html.escape(report.scenario_title)}</h1>",
        _html_table(["Fact", "Value"], [[k, v] for k, v in _facts(report, t)]),
    ]
    for title, (header, rows) in _rows(report, t).items():
        parts.append(f"<h2>{MARK} — {html.escape(title)}</h2>")
        parts.append(_html_table(header, rows) if rows else f"<p>{MARK} · none</p>")
    parts.append(f"<h2>{MARK} — Never done</h2>")
    parts.append(
        _html_table(["Item"], [[item] for item in report.never_done])
        if report.never_done
        else f"<p>{MARK} · nothing</p>"
    )
    parts.append(f'<div class="banner">{html.escape(BANNER)}</div></body></html>')
    return "\n".join(parts) + "\n"


def render_report(report: AfterActionReport, fmt: str, *, timezone: str | tzinfo = "UTC") -> str:
    """``fmt`` is one of ``REPORT_FORMATS``; ValueError otherwise."""
    if fmt == "md":
        return render_markdown(report, timezone)
    if fmt == "html":
        return render_html(report, timezone)
    if fmt == "json":
        return json.dumps(report_to_dict(report, timezone), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown report format {fmt!r} (use {', '.join(REPORT_FORMATS)})")
