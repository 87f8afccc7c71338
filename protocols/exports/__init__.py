"""Exports: every export is a projection of the event log (see ``report.build_report``).

``export_incident(state, events, protocol, fmt, tz)`` renders ``md``, ``json``, ``csv`` or a
self-contained printable ``html`` file, with every time shown with its date in the reader's time
zone. Drill incidents are marked DRILL in every format. ``transparency_summary`` aggregates real
incidents (drills excluded) for public reporting.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocols.definition import Protocol
from protocols.errors import ProtocolError
from protocols.exports.html_report import render_html
from protocols.exports.markdown import render_markdown
from protocols.exports.report import (
    EntryCorrection,
    IncidentReport,
    ReaderClock,
    TimelineEntry,
    build_report,
    describe_event,
    effective_time,
)
from protocols.exports.tabular import render_csv, render_json, timeline_entry_json
from protocols.exports.transparency import (
    IncidentFigures,
    TransparencySummary,
    render_transparency,
    transparency_summary,
)
from protocols.state import IncidentState
from protocols.store import StoredEvent

__all__ = [
    "FORMATS",
    "EntryCorrection",
    "IncidentFigures",
    "IncidentReport",
    "ReaderClock",
    "TimelineEntry",
    "TransparencySummary",
    "build_report",
    "describe_event",
    "effective_time",
    "export_incident",
    "render_transparency",
    "timeline_entry_json",
    "transparency_summary",
]

FORMATS = ("md", "json", "csv", "html")


def export_incident(
    state: IncidentState,
    events: Sequence[StoredEvent],
    protocol: Protocol,
    fmt: str = "md",
    tz: str = "UTC",
) -> str:
    """Render one incident; ``fmt`` is md, json, csv or html; ``tz`` an IANA zone name."""
    if fmt not in FORMATS:
        raise ProtocolError(f"unknown export format {fmt!r} (formats: {', '.join(FORMATS)})")
    clock = ReaderClock(tz)
    report = build_report(state, events, protocol)
    if fmt == "md":
        return render_markdown(report, clock)
    if fmt == "html":
        return render_html(report, clock)
    if fmt == "csv":
        return render_csv(report, clock)
    return render_json(report, clock, events)
