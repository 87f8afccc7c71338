"""The terminal face of a drill: printing notices, and the prompt's help text.

Every printed line starts with ``[DRILL T+mm:ss]`` so a scroll-back or a pasted log cannot be
mistaken for a real incident. The sink writes to any text stream (the CLI passes stdout; tests a
StringIO), so it holds no terminal state. Imports only ``protocols.drills`` modules.
"""

from __future__ import annotations

import json
from typing import TextIO

from protocols.drills.actions import VERBS
from protocols.drills.offsets import format_offset
from protocols.drills.ports import DrillNotice

__all__ = ["PROMPT_HELP", "TerminalSink", "notice_line"]

PROMPT_HELP = "\n".join(
    [
        "Type an action as NAME ACTION [ARGS], for example 'Ana complete situational-awareness'.",
        "Actions:",
        *[f"  NAME {usage}" for _, _, usage in VERBS.values()],
        "Drill control: pause, resume, status, stop, help.",
    ]
)


def notice_line(notice: DrillNotice) -> str:
    """One notice as printed lines, each marked ``[DRILL T+mm:ss]``."""
    mark = f"[DRILL {format_offset(notice.at)}]"
    return "\n".join(f"{mark} {line}" for line in notice.text.splitlines() or [""])


class TerminalSink:
    """Prints notices as marked text lines, or JSON lines (``"drill": true``) with ``as_json``."""

    def __init__(self, stream: TextIO, *, as_json: bool = False) -> None:
        self.stream = stream
        self.as_json = as_json

    async def show(self, notice: DrillNotice) -> None:
        if self.as_json:
            record = {
                "drill": True,
                "at": format_offset(notice.at),
                "kind": notice.kind,
                "inject": notice.inject_id,
                "text": notice.text,
            }
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            self.stream.write(notice_line(notice) + "\n")
        self.stream.flush()
