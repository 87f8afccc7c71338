"""The terminal face of a drill: printing notices, and what a line typed at the prompt does.

Every printed line starts with ``[DRILL T+mm:ss]`` so a scroll-back or a pasted log cannot be
mistaken for a real incident. The sink writes to any text stream (the CLI passes stdout; tests a
StringIO), so it holds no terminal state. Terminal I/O is an adapter's business, so this lives with
the CLI (``crisisbot drill run``), not in the drill engine.
"""

from __future__ import annotations

import json
from typing import TextIO

from protocols.drills.actions import VERBS
from protocols.drills.errors import BadAction
from protocols.drills.offsets import format_offset
from protocols.drills.ports import DrillNotice
from protocols.drills.runner import DrillRunner
from protocols.errors import ProtocolError

__all__ = ["PROMPT_HELP", "TerminalSink", "handle_line", "notice_line", "status_text"]

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


async def status_text(runner: DrillRunner) -> str:
    """Where the drill stands: time, stage, role holders, open steps with their deadlines."""
    state = await runner.state()
    now = runner.clock.now()
    lines = [
        f"{format_offset(runner.clock.elapsed())} of {format_offset(runner.scenario.duration)}"
        f"{' (paused)' if runner.clock.paused else ''}; incident {state.id} is {state.status}, "
        f"severity {state.severity}, stage {state.current_stage}; "
        f"{runner.remaining_items} injects/scripted actions to come",
        "Roles: "
        + "; ".join(f"{role}: {', '.join(h.values())}" for role, h in state.role_holders.items()),
    ]
    for due in runner.incidents.due(state, now):
        flag = "OVERDUE" if due.overdue else "due"
        lines.append(
            f"  {flag} {format_offset(due.due_at - runner.clock.t0)}: {due.step_id} ({due.role})"
        )
    return "\n".join(lines)


async def handle_line(runner: DrillRunner, line: str) -> None:
    """One line typed at the drill prompt: a control word or a participant action.

    Never raises for a bad line: the problem is shown to the players instead.
    """
    try:
        await _handle_line(runner, line)
    except ProtocolError as exc:
        hint = " (type 'help')" if isinstance(exc, BadAction) else ""
        await runner.sink.show(DrillNotice(runner.clock.elapsed(), "refused", f"{exc}{hint}"))


async def _handle_line(runner: DrillRunner, line: str) -> None:
    text = line.strip()
    word = text.lower()
    if not text:
        return
    if word == "help":
        await runner.sink.show(DrillNotice(runner.clock.elapsed(), "control", PROMPT_HELP))
    elif word == "pause":
        await runner.pause()
    elif word == "resume":
        await runner.resume()
    elif word == "stop":
        await runner.stop()
    elif word == "status":
        text = await status_text(runner)
        await runner.sink.show(DrillNotice(runner.clock.elapsed(), "control", text))
    else:
        runner.submit(text)
