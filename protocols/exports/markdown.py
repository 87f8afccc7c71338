"""Markdown rendering of an ``IncidentReport`` (also the text the golden-file test pins)."""

from __future__ import annotations

from protocols.exports.report import (
    STEP_COLUMNS,
    IncidentReport,
    Markup,
    ReaderClock,
    span,
    timeline_cells,
)

__all__ = ["render_markdown"]


_MARKUP = Markup(plain=str, struck=lambda s: f"~~{s}~~", new=str, note=lambda s: f" _({s})_")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(report: IncidentReport, clock: ReaderClock) -> str:
    s = report.state
    out = [f"# {report.title}", ""]
    if s.drill:
        out += ["> **DRILL** — this incident is an exercise; it is excluded from statistics.", ""]
    out += [
        f"- Protocol: {report.protocol.name} (`{s.protocol_id}` v{s.protocol_version})",
        f"- Severity: {s.severity}",
        f"- Status: {s.status}",
        f"- Current stage: {s.current_stage}",
        f"- Declared: {clock.show(s.opened_at)} by {s.declared_by}",
        f"- Activated: {clock.show(report.activated_at)}"
        f" (time to activation: {span(report.time_to_activation)})",
        f"- Concluded: {clock.show(s.concluded_at)}",
        f"- Closed: {clock.show(s.closed_at)}",
        f"- Times shown in: {clock.name}",
    ]
    if s.summary:
        out.append(f"- Summary: {s.summary}")
    out += ["", "## Roles", ""]
    out += _table(["Role", "Held by"], [[r, ", ".join(h) or "—"] for r, h in report.roles])
    out += ["", f"Participants: {', '.join(report.participants) or '—'}", ""]
    out += ["## Stages", ""]
    out += _table(
        ["Stage", "Started", "Since declaration"],
        [[n, clock.show(t), span(d)] for n, t, d in report.stage_times],
    )
    out += ["", "## Steps", ""]
    out += _table(
        list(STEP_COLUMNS),
        [
            [
                r.stage,
                f"{r.title} (`{r.step_id}`)",
                r.role,
                "yes" if r.required else "no",
                clock.show(r.due_at),
                clock.show(r.finished_at),
                r.by or "—",
                r.outcome,
                r.note or "",
                "; ".join(r.evidence),
            ]
            for r in report.steps
        ],
    )
    out += ["", "## Notes", ""]
    out += [f"- {clock.show(n.at)} — {n.author_name}: {n.text}" for n in report.notes] or ["—"]
    out += ["", "## Linked hash entries", ""]
    out += (
        _table(
            ["Entry", "List", "Signal", "Value", "Linked", "Removed", "Matches"],
            [
                [
                    h.entry_id,
                    h.list_name,
                    h.signal,
                    f"`{h.value}`",
                    clock.show(h.linked_at),
                    clock.show(h.removed_at),
                    h.matches,
                ]
                for h in report.hashes
            ],
        )
        if report.hashes
        else ["—"]
    )
    out += ["", "## Timeline", ""]
    out += _table(
        ["#", "Time", "Recorded", "Who", "What"],
        [
            [e.version, when, clock.show(e.recorded_at), e.actor, what]
            for e in report.timeline
            for when, what in [timeline_cells(e, clock, _MARKUP)]
        ],
    )
    out.append("")
    return "\n".join(out)
