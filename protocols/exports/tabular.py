"""CSV (the timeline, one row per event) and JSON (everything, machine-readable) renderings.

Corrected entries keep both values: ``time``/``what`` (CSV) and ``time``/``text`` (JSON) are as
recorded; the corrected values and who corrected them, when and why sit beside them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict

from protocols.exports.report import (
    EntryCorrection,
    IncidentReport,
    ReaderClock,
    TimelineEntry,
    correction_note,
)
from protocols.store import StoredEvent

__all__ = ["render_csv", "render_json", "timeline_entry_json"]


def timeline_entry_json(e: TimelineEntry, clock: ReaderClock) -> dict[str, object]:
    """One timeline entry as JSON: as recorded, plus its correction (or ``None``)."""
    return {
        "version": e.version,
        "time": clock.iso(e.time),
        "recorded_at": clock.iso(e.recorded_at),
        "type": e.kind,
        "actor": e.actor,
        "text": e.text,
        "hash": e.hash,
        "correction": _correction_json(e.correction, clock),
    }


def _correction_json(c: EntryCorrection | None, clock: ReaderClock) -> dict[str, object] | None:
    if c is None:
        return None
    return {
        "text": c.text,
        "time": clock.iso(c.time),
        "retracted": c.retracted,
        "by": c.by,
        "at": clock.iso(c.at),
        "reason": c.reason,
        "version": c.version,
        "replaces": list(c.replaces),
    }


def render_csv(report: IncidentReport, clock: ReaderClock) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "incident",
            "drill",
            "version",
            "time",
            "recorded_at",
            "type",
            "actor",
            "what",
            "hash",
            "corrected_time",
            "corrected_what",
            "retracted",
            "correction",
        ]
    )
    marker = "DRILL" if report.state.drill else ""
    for e in report.timeline:
        c = e.correction
        writer.writerow(
            [
                report.state.id,
                marker,
                e.version,
                clock.iso(e.time),
                clock.iso(e.recorded_at),
                e.kind,
                e.actor,
                e.text,
                e.hash,
                clock.iso(c.time) if c and c.time else "",
                c.text if c and c.text is not None else "",
                "yes" if c and c.retracted else "",
                correction_note(c, clock.show) if c else "",
            ]
        )
    return buffer.getvalue()


def render_json(report: IncidentReport, clock: ReaderClock, events: Sequence[StoredEvent]) -> str:
    s = report.state
    doc = {
        "incident": {
            "id": s.id,
            "title": s.title,
            "drill": s.drill,
            "label": "DRILL" if s.drill else None,
            "protocol": {
                "id": s.protocol_id,
                "version": s.protocol_version,
                "hash": s.protocol_hash or None,
            },
            "severity": s.severity,
            "status": s.status,
            "current_stage": s.current_stage,
            "declared_by": s.declared_by,
            "opened_at": clock.iso(s.opened_at),
            "activated_at": clock.iso(report.activated_at),
            "concluded_at": clock.iso(s.concluded_at),
            "closed_at": clock.iso(s.closed_at),
            "summary": s.summary,
            "timezone": clock.name,
        },
        "time_to_activation_seconds": (
            None if report.time_to_activation is None else report.time_to_activation.total_seconds()
        ),
        "stages": [
            {
                "stage": n,
                "started_at": clock.iso(t),
                "seconds_since_declaration": None if d is None else d.total_seconds(),
            }
            for n, t, d in report.stage_times
        ],
        "roles": [{"role": r, "holders": h} for r, h in report.roles],
        "participants": report.participants,
        "steps": [
            {**asdict(r), "due_at": clock.iso(r.due_at), "finished_at": clock.iso(r.finished_at)}
            for r in report.steps
        ],
        "notes": [
            {"at": clock.iso(n.at), "author": n.author_name, "text": n.text} for n in report.notes
        ],
        "hash_entries": [
            {
                **asdict(h),
                "linked_at": clock.iso(h.linked_at),
                "removed_at": clock.iso(h.removed_at),
            }
            for h in report.hashes
        ],
        "timeline": [timeline_entry_json(e, clock) for e in report.timeline],
        "events": [
            {
                "version": r.version,
                "position": r.position,
                "type": r.event_type,
                "recorded_at": r.recorded_at.isoformat(),
                "prev_hash": r.prev_hash,
                "hash": r.hash,
                "data": json.loads(r.payload),
            }
            for r in events
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
