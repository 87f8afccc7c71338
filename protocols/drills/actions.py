"""Participant actions: what a player does during a drill, typed at a prompt or scripted.

One model, two spellings:

* typed (terminal prompt, or the ``do:`` of a script entry)::

      alice complete assess-criteria Criteria met: perpetrator video
      bob hash U1
      alice assign hash-coordinator bob
      alice severity cip Video confirmed
      alice conclude Upload volume down

* scripted, a YAML or JSON list of ``{at: T+mm:ss, by: NAME, do: VERB, ...}`` mappings with the
  verb's arguments as keys (``step``, ``role``, ``to``, ``upload``, ``level``, ``text``) or a
  whole typed line in ``do``; errors carry file:line:column.

Verbs: complete, skip, reopen, assign, note, severity, activate, advance, conclude, stand-down
(conclude, or close when the incident was never activated), close, hash (add an upload's hash
to the drill's exercise list). The text of ``complete`` is the step's evidence when the protocol
asks for text or link evidence, otherwise its note.
Imports only ``protocols.drills`` modules and PyYAML.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from protocols.drills.errors import BadAction, ScenarioLoadError
from protocols.drills.located_yaml import Issue, Issues, NodeReader, compose_file_text
from protocols.drills.offsets import format_offset, parse_offset

__all__ = [
    "VERBS",
    "ParticipantAction",
    "ScriptedAction",
    "load_script",
    "parse_action_line",
    "parse_script",
    "script_to_json",
]

#: verb -> (argument names in typed order, last argument takes the rest of the line, help)
VERBS: dict[str, tuple[tuple[str, ...], bool, str]] = {
    "complete": (("step", "text"), True, "complete STEP [note]"),
    "skip": (("step", "text"), True, "skip STEP reason"),
    "reopen": (("step", "text"), True, "reopen STEP reason"),
    "assign": (("role", "to"), False, "assign ROLE PARTICIPANT"),
    "note": (("text",), True, "note TEXT"),
    "severity": (("level", "text"), True, "severity LEVEL [reason]"),
    "activate": (("text",), True, "activate [reason]"),
    "advance": (("text",), True, "advance [reason]"),
    "conclude": (("text",), True, "conclude [summary]"),
    "stand-down": (("text",), True, "stand-down [reason] (conclude, or close if never activated)"),
    "close": (("text",), True, "close [reason]"),
    "hash": (("upload",), False, "hash UPLOAD (add the upload's hash to the drill list)"),
}
_ALIASES = {"standdown": "stand-down", "done": "complete"}
_REQUIRED = {
    "complete": 1,
    "skip": 2,
    "reopen": 2,
    "assign": 2,
    "note": 1,
    "severity": 1,
    "hash": 1,
}


@dataclass(frozen=True)
class ParticipantAction:
    """``by`` does ``verb``; unused arguments are empty strings."""

    by: str
    verb: str
    step: str = ""
    role: str = ""
    to: str = ""
    level: str = ""
    upload: str = ""
    text: str = ""

    def describe(self) -> str:
        args = [self.step, self.role, self.to, self.level, self.upload, self.text]
        return " ".join([self.by, self.verb, *[a for a in args if a]])


@dataclass(frozen=True)
class ScriptedAction:
    at: timedelta
    action: ParticipantAction
    line: int = 0


def _build(by: str, verb: str, args: dict[str, str]) -> ParticipantAction:
    verb = _ALIASES.get(verb.lower(), verb.lower())
    if verb not in VERBS:
        raise BadAction(f"unknown action {verb!r} (known: {', '.join(VERBS)})")
    names, _, usage = VERBS[verb]
    missing = [name for name in names[: _REQUIRED.get(verb, 0)] if not args.get(name)]
    if missing:
        raise BadAction(f"{verb}: missing {', '.join(missing)} (usage: NAME {usage})")
    unknown = set(args) - set(names)
    if unknown:
        raise BadAction(f"{verb}: does not take {', '.join(sorted(unknown))} (usage: NAME {usage})")
    return ParticipantAction(by=by, verb=verb, **{k: v for k, v in args.items() if v})


def parse_action_line(line: str) -> ParticipantAction:
    """``NAME VERB ARGS...`` -> action; BadAction explains the expected spelling."""
    words = line.split()
    if len(words) < 2:
        raise BadAction("type NAME ACTION [ARGS], e.g. 'alice complete assess-criteria'")
    by, verb = words[0], words[1]
    return _build(by, verb, _positional(verb, line.split(None, 2)[2] if len(words) > 2 else ""))


def _positional(verb: str, rest: str) -> dict[str, str]:
    names, greedy, _ = VERBS.get(_ALIASES.get(verb.lower(), verb.lower()), ((), False, ""))
    words = rest.split()
    out: dict[str, str] = {}
    for index, name in enumerate(names):
        if index == len(names) - 1 and greedy:
            out[name] = " ".join(words[index:])
        elif index < len(words):
            out[name] = words[index]
    if not greedy and len(words) > len(names):
        raise BadAction(f"{verb}: too many words in {rest!r}")
    return out


def parse_script(text: str, source: str = "<script>") -> tuple[ScriptedAction, ...]:
    """A scripted list of actions; ScenarioLoadError lists every problem with its position."""
    issues = Issues(source)
    reader = NodeReader(issues)
    root = compose_file_text(text, issues)
    out: list[ScriptedAction] = []
    if root is not None:
        if isinstance(root, yaml.MappingNode):  # {"actions": [...]} is accepted too
            fields = reader.mapping(root, "script", required=("actions",))
            root = fields.get("actions") if fields else None
        for node in reader.sequence(root, "actions") or []:
            scripted = _scripted(reader, node)
            if scripted is not None:
                out.append(scripted)
    elif not issues:
        issues.add(None, "the script is empty")
    if issues:
        raise ScenarioLoadError(issues)
    return tuple(sorted(out, key=lambda a: a.at))


def _scripted(reader: NodeReader, node: yaml.Node) -> ScriptedAction | None:
    argument_keys = ("step", "role", "to", "level", "upload", "text")
    fields = reader.mapping(node, "action", required=("at", "by", "do"), optional=argument_keys)
    if fields is None or not {"at", "by", "do"} <= set(fields):
        return None
    at = reader.parsed(fields["at"], "action.at", parse_offset)
    by = reader.text(fields["by"], "action.by")
    do = reader.text(fields["do"], "action.do")
    args: dict[str, str] = {}
    for key in argument_keys:
        if key in fields:
            value = reader.scalar(fields[key], f"action.{key}", str)
            if value is not None:
                args[key] = value
    if do is None:
        return None
    try:
        verb, _, rest = do.strip().partition(" ")
        if rest:
            args = {**_positional(verb, rest), **args}
        action = _build(by or "", verb, args)
    except BadAction as exc:
        reader.issues.add(fields["do"], f"action.do: {exc}")
        return None
    if at is None or by is None:
        return None
    return ScriptedAction(at=at, action=action, line=node.start_mark.line + 1)


def load_script(path: str | Path) -> tuple[ScriptedAction, ...]:
    """Read a YAML or JSON action script (JSON is YAML, so one parser serves both)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioLoadError([Issue(str(p), 1, 1, f"cannot read the file: {exc}")]) from None
    return parse_script(text, str(p))


def script_to_json(actions: Sequence[ScriptedAction]) -> str:
    """The script as JSON that :func:`parse_script` reads back (a typed session, for replay)."""
    return (
        json.dumps(
            [
                {
                    "at": format_offset(a.at),
                    "by": a.action.by,
                    "do": a.action.verb,
                    **{k: v for k, v in vars(a.action).items() if k not in ("by", "verb") and v},
                }
                for a in actions
            ],
            indent=2,
        )
        + "\n"
    )
