"""Load and validate protocol YAML files into ``protocols.definition`` objects.

Why compose to nodes instead of ``safe_load``: every node keeps its line and column, so each error
points at the exact place in the file (``gifct.yaml:41:15: step 'alert' has unknown role ...``).
All problems in a file are collected; ``ProtocolLoadError`` reports the first and carries the full
list in ``.errors``.

File shape (every key shown; unknown keys are errors)::

    id: my-protocol            # [a-z0-9][a-z0-9_-]*, at most 40 characters
    version: "1.0"
    name: ...
    description: ...
    modelled_on: ...           # which public description this follows (never "official")
    severity_levels: [{id, name, description}]
    roles: [{id, name, instructions, lead, can_activate, can_assign_roles, can_manage_steps,
             can_change_severity, can_advance_stage, can_conclude, can_record_timeline,
             can_link_hashes, can_correct_timeline}]  # exactly one role has lead: true
    stages:
      - id, name, description
        steps: [{id, title, role, instructions, required, depends_on, target,
                 relative_to: incident|stage, evidence: text|link|hash,
                 escalation: {after, notify}}]

Durations (``target``, ``escalation.after``) use ``protocols.durations``: 15m, 2h, 1d, PT15M.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml

from protocols.bounded_yaml import BoundedSafeLoader
from protocols.definition import (
    EVIDENCE_KINDS,
    Escalation,
    Protocol,
    Role,
    SeverityLevel,
    Stage,
    Step,
)
from protocols.durations import parse_duration
from protocols.errors import ProtocolLoadError

__all__ = ["load_protocol", "parse_protocol"]

T = TypeVar("T")

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_ROLE_FLAGS = tuple(
    name for name in Role.__dataclass_fields__ if name.startswith("can_") or name == "lead"
)


class _Invalid(Exception):
    """Internal: one node is unusable; the checker records it and moves on."""


class _Checker:
    """Walks the node tree, converting values and recording every error with its mark."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[ProtocolLoadError] = []

    def error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.errors.append(ProtocolLoadError(self.path, mark.line + 1, mark.column + 1, message))

    def fail(self, node: yaml.Node, message: str) -> _Invalid:
        self.error(node, message)
        return _Invalid()

    # -- shapes -------------------------------------------------------------------------------
    def mapping(
        self, node: yaml.Node, where: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{where}: expected a mapping")
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        allowed = required + optional
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in found:
                self.error(key_node, f"{where}: duplicate key {key!r}")
            elif key not in allowed:
                self.error(
                    key_node, f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})"
                )
            else:
                found[key] = (key_node, value_node)
        for key in required:
            if key not in found:
                self.error(node, f"{where}: missing required key {key!r}")
        return found

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{where}: expected a list")
        return list(node.value)

    def text(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
            raise self.fail(node, f"{where}: expected text")
        return str(node.value).strip()

    def identifier(self, node: yaml.Node, where: str) -> str:
        value = self.text(node, where)
        if not _ID.match(value):
            raise self.fail(
                node, f"{where}: bad id {value!r} (lowercase letters, digits, '-', '_'; max 40)"
            )
        return value

    def flag(self, node: yaml.Node, where: str) -> bool:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            raise self.fail(node, f"{where}: expected true or false")
        return str(node.value).lower() in {"true", "yes", "on", "y"}

    def duration(self, node: yaml.Node, where: str) -> timedelta:
        try:
            value = parse_duration(self.text(node, where))
        except ValueError as exc:
            raise self.fail(node, f"{where}: {exc}") from None
        if value <= timedelta(0):
            raise self.fail(node, f"{where}: duration must be positive")
        return value

    def choice(self, node: yaml.Node, where: str, options: tuple[str, ...]) -> str:
        value = self.text(node, where)
        if value not in options:
            raise self.fail(node, f"{where}: {value!r} is not one of {', '.join(options)}")
        return value

    def guard(self, build: Callable[..., T], *args: Any) -> T | None:
        """Run ``build(*args)``; a recorded ``_Invalid`` becomes ``None`` so checking continues."""
        try:
            return build(*args)
        except _Invalid:
            return None


def _get(fields: dict[str, tuple[yaml.Node, yaml.Node]], key: str) -> yaml.Node | None:
    pair = fields.get(key)
    return pair[1] if pair else None


class _ProtocolBuilder:
    def __init__(self, checker: _Checker) -> None:
        self.c = checker
        self.role_nodes: dict[str, yaml.Node] = {}
        self.step_nodes: dict[str, yaml.Node] = {}
        self.role_refs: list[tuple[yaml.Node, str, str]] = []  # (node, role id, where)

    def unique(self, seen: dict[str, yaml.Node], node: yaml.Node, value: str, kind: str) -> None:
        if value in seen:
            first = seen[value].start_mark
            self.c.error(node, f"duplicate {kind} id {value!r} (first at line {first.line + 1})")
        else:
            seen[value] = node

    def severity(self, node: yaml.Node, seen: dict[str, yaml.Node]) -> SeverityLevel:
        f = self.c.mapping(node, "severity level", ("id", "name"), ("description",))
        sid = self.c.identifier(f["id"][1], "severity level id") if "id" in f else ""
        self.unique(seen, node, sid, "severity level")
        description = _get(f, "description")
        return SeverityLevel(
            id=sid,
            name=self.c.text(f["name"][1], "severity level name") if "name" in f else sid,
            description=self.c.text(description, "description") if description else "",
        )

    def role(self, node: yaml.Node) -> Role:
        f = self.c.mapping(node, "role", ("id", "name"), ("instructions", *_ROLE_FLAGS))
        rid = self.c.identifier(f["id"][1], "role id") if "id" in f else ""
        self.unique(self.role_nodes, node, rid, "role")
        flags = {k: self.c.flag(f[k][1], f"role {rid!r}: {k}") for k in _ROLE_FLAGS if k in f}
        instructions = _get(f, "instructions")
        return Role(
            id=rid,
            name=self.c.text(f["name"][1], f"role {rid!r}: name") if "name" in f else rid,
            instructions=self.c.text(instructions, "instructions") if instructions else "",
            **flags,
        )

    def escalation(self, node: yaml.Node, where: str) -> Escalation:
        f = self.c.mapping(node, f"{where}: escalation", ("after", "notify"), ())
        notify = []
        if "notify" in f:
            for item in self.c.sequence(f["notify"][1], f"{where}: escalation.notify"):
                role_id = self.c.identifier(item, f"{where}: escalation.notify")
                self.role_refs.append((item, role_id, f"{where}: escalation.notify"))
                notify.append(role_id)
        if not notify:
            raise self.c.fail(node, f"{where}: escalation must notify at least one role")
        return Escalation(
            after=self.c.duration(f["after"][1], f"{where}: escalation.after"),
            notify_roles=tuple(notify),
        )

    def step(self, node: yaml.Node) -> Step:
        c = self.c
        f = c.mapping(
            node,
            "step",
            ("id", "title", "role"),
            (
                "instructions",
                "required",
                "depends_on",
                "target",
                "relative_to",
                "evidence",
                "escalation",
            ),
        )
        if "id" not in f:
            raise _Invalid()
        sid = c.identifier(f["id"][1], "step id")
        self.unique(self.step_nodes, f["id"][1], sid, "step")
        where = f"step {sid!r}"
        role_node = f["role"][1] if "role" in f else node
        role_id = c.identifier(role_node, f"{where}: role") if "role" in f else ""
        self.role_refs.append((role_node, role_id, f"{where}: role"))
        depends = []
        if "depends_on" in f:
            for item in c.sequence(f["depends_on"][1], f"{where}: depends_on"):
                depends.append((item, c.identifier(item, f"{where}: depends_on")))
        self.dependencies[sid] = depends
        opt: dict[str, Any] = {}
        for key, convert in (
            ("instructions", lambda n: c.text(n, f"{where}: instructions")),
            ("required", lambda n: c.flag(n, f"{where}: required")),
            ("target", lambda n: c.duration(n, f"{where}: target")),
            ("relative_to", lambda n: c.choice(n, f"{where}: relative_to", ("incident", "stage"))),
            ("evidence", lambda n: c.choice(n, f"{where}: evidence", EVIDENCE_KINDS)),
            ("escalation", lambda n: self.escalation(n, where)),
        ):
            value_node = _get(f, key)
            if value_node is not None:
                opt[key] = c.guard(convert, value_node)
        if "escalation" in f and "target" not in f:
            c.error(node, f"{where}: an escalation needs a target time")
        opt = {k: v for k, v in opt.items() if v is not None}
        return Step(
            id=sid,
            title=c.text(f["title"][1], f"{where}: title") if "title" in f else sid,
            role=role_id,
            depends_on=tuple(d for _, d in depends),
            **opt,
        )

    def stage(self, node: yaml.Node, seen: dict[str, yaml.Node]) -> Stage:
        f = self.c.mapping(node, "stage", ("id", "name", "steps"), ("description",))
        sid = self.c.identifier(f["id"][1], "stage id") if "id" in f else ""
        self.unique(seen, node, sid, "stage")
        steps = []
        if "steps" in f:
            items = self.c.sequence(f["steps"][1], f"stage {sid!r}: steps")
            for item in items:
                step = self.c.guard(self.step, item)
                if step is not None:
                    steps.append(step)
                    self.step_stage[step.id] = len(self.stage_ids)
        self.stage_ids.append(sid)
        description = _get(f, "description")
        return Stage(
            id=sid,
            name=self.c.text(f["name"][1], f"stage {sid!r}: name") if "name" in f else sid,
            description=self.c.text(description, "description") if description else "",
            steps=tuple(steps),
        )

    def build(self, root: yaml.Node, source: str) -> Protocol | None:
        c = self.c
        self.dependencies: dict[str, list[tuple[yaml.Node, str]]] = {}
        self.step_stage: dict[str, int] = {}
        self.stage_ids: list[str] = []
        f = c.mapping(
            root,
            "protocol",
            ("id", "version", "name", "modelled_on", "severity_levels", "roles", "stages"),
            ("description",),
        )
        header = {
            key: c.guard(c.text, f[key][1], key)
            for key in ("version", "name", "modelled_on", "description")
            if key in f
        }
        pid = c.guard(c.identifier, f["id"][1], "id") if "id" in f else None
        levels: list[SeverityLevel] = []
        seen_levels: dict[str, yaml.Node] = {}
        if "severity_levels" in f:
            nodes = c.guard(c.sequence, f["severity_levels"][1], "severity_levels") or []
            levels = [lv for n in nodes if (lv := c.guard(self.severity, n, seen_levels))]
            if not nodes:
                c.error(f["severity_levels"][1], "severity_levels: at least one level is needed")
        roles: dict[str, Role] = {}
        if "roles" in f:
            for n in c.guard(c.sequence, f["roles"][1], "roles") or []:
                role = c.guard(self.role, n)
                if role is not None:
                    roles.setdefault(role.id, role)
            leads = [r.id for r in roles.values() if r.lead]
            if len(leads) != 1:
                c.error(
                    f["roles"][1],
                    f"roles: exactly one role needs 'lead: true' (found {len(leads)})",
                )
        stages: list[Stage] = []
        seen_stages: dict[str, yaml.Node] = {}
        if "stages" in f:
            nodes = c.guard(c.sequence, f["stages"][1], "stages") or []
            stages = [sg for n in nodes if (sg := c.guard(self.stage, n, seen_stages))]
            if not nodes:
                c.error(f["stages"][1], "stages: at least one stage is needed")
        if "roles" in f:
            for ref_node, role_id, where in self.role_refs:
                if role_id and role_id not in roles:
                    known = ", ".join(roles)
                    c.error(ref_node, f"{where}: unknown role {role_id!r} (roles: {known})")
        self.check_dependencies()
        if c.errors or pid is None:
            return None
        return Protocol(
            id=pid,
            version=header.get("version") or "",
            name=header.get("name") or pid,
            description=header.get("description") or "",
            modelled_on=header.get("modelled_on") or "",
            severity_levels=tuple(levels),
            roles=roles,
            stages=tuple(stages),
            source=source,
        )

    def check_dependencies(self) -> None:
        for sid, deps in self.dependencies.items():
            for node, dep in deps:
                if dep not in self.step_stage:
                    self.c.error(node, f"step {sid!r} depends on unknown step {dep!r}")
                elif dep == sid:
                    self.c.error(node, f"step {sid!r} depends on itself")
                elif self.step_stage[dep] > self.step_stage.get(sid, 0):
                    self.c.error(node, f"step {sid!r} depends on {dep!r} from a later stage")
        graph = {
            s: [d for _, d in deps if d in self.step_stage] for s, deps in self.dependencies.items()
        }
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            for dep in graph.get(node, []):
                if state.get(dep) == 1:
                    cycle = " -> ".join([*path[path.index(dep) :], dep]) if dep in path else dep
                    self.c.error(self.step_nodes[node], f"dependency cycle: {cycle}")
                elif dep not in state:
                    visit(dep, [*path, dep])
            state[node] = 2

        for start in graph:
            if start not in state:
                visit(start, [start])


def parse_protocol(text: str, source: str = "<string>") -> Protocol:
    """Parse protocol YAML text; ``source`` names the file in error messages."""
    checker = _Checker(source)
    try:
        root = yaml.compose(text, Loader=BoundedSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ProtocolLoadError(source, line, col, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ProtocolLoadError(source, 1, 1, f"invalid YAML: {exc}") from None
    if root is None:
        raise ProtocolLoadError(source, 1, 1, "the file is empty")
    protocol = checker.guard(_ProtocolBuilder(checker).build, root, source)
    if checker.errors or protocol is None:
        errors = sorted(checker.errors, key=lambda e: (e.line, e.column))
        first = errors[0] if errors else ProtocolLoadError(source, 1, 1, "invalid")
        first.errors = errors or [first]
        raise first
    return protocol


def load_protocol(path: str | Path) -> Protocol:
    """Load and validate one protocol file; raise ``ProtocolLoadError`` naming file:line:col."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolLoadError(str(p), 1, 1, f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ProtocolLoadError(str(p), 1, 1, "the file is not UTF-8 text") from None
    return parse_protocol(text, str(p))
