"""HTML rendering: one self-contained file (inline CSS, no scripts, no external assets) that
reads well on screen and when printed."""

from __future__ import annotations

from html import escape

from protocols.exports.report import (
    STEP_COLUMNS,
    IncidentReport,
    Markup,
    ReaderClock,
    span,
    timeline_cells,
)

__all__ = ["render_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#111;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}
.drill{background:#fff3cd;border:2px solid #c90;padding:.6em 1em;font-weight:bold}
del{color:#777}ins{text-decoration:none;font-weight:bold}.correction{color:#555}
.met{color:#060}.late,.missed{color:#a00;font-weight:bold}.mono{font-family:monospace}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{page-break-after:avoid}
tr{page-break-inside:avoid}thead{display:table-header-group}.drill{border-width:3px}
th,tr:nth-child(even) td,.drill{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@page{margin:1.5cm}}
"""


_MARKUP = Markup(
    plain=escape,
    struck=lambda s: f"<del>{escape(s)}</del>",
    new=lambda s: f"<ins>{escape(s)}</ins>",
    note=lambda s: f'<br><small class="correction">{escape(s)}</small>',
)


def _table(header: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(report: IncidentReport, clock: ReaderClock) -> str:
    s = report.state
    e = escape
    facts = [
        ("Protocol", f"{report.protocol.name} ({s.protocol_id} v{s.protocol_version})"),
        ("Severity", s.severity),
        ("Status", s.status),
        ("Current stage", s.current_stage),
        ("Declared", f"{clock.show(s.opened_at)} by {s.declared_by}"),
        (
            "Activated",
            f"{clock.show(report.activated_at)} (after {span(report.time_to_activation)})",
        ),
        ("Concluded", clock.show(s.concluded_at)),
        ("Closed", clock.show(s.closed_at)),
        ("Times shown in", clock.name),
        ("Participants", ", ".join(report.participants) or "—"),
    ]
    if s.summary:
        facts.append(("Summary", s.summary))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(report.title)}</h1>",
    ]
    if s.drill:
        parts.append(
            '<p class="drill">DRILL — this incident is an exercise and is excluded '
            "from statistics.</p>"
        )
    parts.append("<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts) + "</dl>")
    parts.append("<h2>Roles</h2>")
    parts.append(
        _table(["Role", "Held by"], [[e(r), e(", ".join(h) or "—")] for r, h in report.roles])
    )
    parts.append("<h2>Stages</h2>")
    parts.append(
        _table(
            ["Stage", "Started", "Since declaration"],
            [[e(n), e(clock.show(t)), e(span(d))] for n, t, d in report.stage_times],
        )
    )
    parts.append("<h2>Steps</h2>")
    parts.append(
        _table(
            list(STEP_COLUMNS),
            [
                [
                    e(r.stage),
                    f"{e(r.title)} <span class=mono>({e(r.step_id)})</span>",
                    e(r.role),
                    "yes" if r.required else "no",
                    e(clock.show(r.due_at)),
                    e(clock.show(r.finished_at)),
                    e(r.by or "—"),
                    f'<span class="{r.outcome}">{e(r.outcome)}</span>',
                    e(r.note),
                    "<br>".join(e(v) for v in r.evidence),
                ]
                for r in report.steps
            ],
        )
    )
    parts.append("<h2>Notes</h2>")
    parts.append(
        "<ul>"
        + "".join(
            f"<li>{e(clock.show(n.at))} — {e(n.author_name)}: {e(n.text)}</li>"
            for n in report.notes
        )
        + "</ul>"
        if report.notes
        else "<p>—</p>"
    )
    parts.append("<h2>Linked hash entries</h2>")
    parts.append(
        _table(
            ["Entry", "List", "Signal", "Value", "Linked", "Removed", "Matches"],
            [
                [
                    e(h.entry_id),
                    e(h.list_name),
                    e(h.signal),
                    f"<span class=mono>{e(h.value)}</span>",
                    e(clock.show(h.linked_at)),
                    e(clock.show(h.removed_at)),
                    str(h.matches),
                ]
                for h in report.hashes
            ],
        )
        if report.hashes
        else "<p>—</p>"
    )
    parts.append("<h2>Timeline</h2>")
    parts.append(
        _table(
            ["#", "Time", "Recorded", "Who", "What"],
            [
                [str(t.version), when, e(clock.show(t.recorded_at)), e(t.actor), what]
                for t in report.timeline
                for when, what in [timeline_cells(t, clock, _MARKUP)]
            ],
        )
    )
    parts.append("</body></html>\n")
    return "\n".join(parts)
