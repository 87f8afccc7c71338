"""Reading YAML while keeping where every value came from (file, line, column).

Scenario files and action scripts are written by hand, often in a hurry before an exercise; an error
must point at the exact line. PyYAML's composed node tree carries start marks, so the readers here
walk nodes instead of plain dicts and report problems as :class:`Issue` values that the loaders
collect (all problems in a file are reported at once, not the first one only).

Imports nothing from the rest of crisisbot but its bounded YAML loader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from protocols.bounded_yaml import BoundedSafeLoader

__all__ = ["Issue", "Issues", "NodeReader", "compose_file_text"]

T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a file; line and column are 1-based."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class Issues:
    """Collects issues for one file; callers raise once at the end if any were found."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[Issue] = []

    def add(self, node: yaml.Node | None, message: str) -> None:
        line, column = _position(node)
        self.items.append(Issue(self.path, line, column, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self) -> Iterator[Issue]:
        return iter(sorted(self.items))


def _position(node: yaml.Node | None) -> tuple[int, int]:
    if node is None:
        return 1, 1
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def compose_file_text(text: str, issues: Issues) -> yaml.Node | None:
    """Parse ``text`` into a node tree; a syntax error becomes an issue with its position."""
    try:
        return yaml.compose(text, Loader=BoundedSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        issues.items.append(Issue(issues.path, line, column, f"invalid YAML: {problem}"))
    except yaml.YAMLError as exc:
        issues.items.append(Issue(issues.path, 1, 1, f"invalid YAML: {exc}"))
    return None


class NodeReader:
    """Typed accessors over YAML nodes that record an issue and return None on a wrong shape."""

    def __init__(self, issues: Issues) -> None:
        self.issues = issues
        self._constructor = yaml.SafeLoader("")

    def value(self, node: yaml.Node) -> Any:
        return self._constructor.construct_object(node, deep=True)

    def mapping(
        self,
        node: yaml.Node | None,
        what: str,
        *,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
    ) -> dict[str, yaml.Node] | None:
        """A mapping's value nodes by key; unknown, duplicate and missing keys become issues."""
        if not isinstance(node, yaml.MappingNode):
            self.issues.add(node, f"{what}: expected a mapping")
            return None
        allowed = set(required) | set(optional)
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.issues.add(key_node, f"{what}: keys must be strings")
                continue
            if key in out:
                self.issues.add(key_node, f"{what}: duplicate key {key!r}")
                continue
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.issues.add(key_node, f"{what}: unknown key {key!r} (known: {known})")
                continue
            out[key] = value_node
        for key in required:
            if key not in out:
                self.issues.add(node, f"{what}: missing required key {key!r}")
        return out

    def sequence(self, node: yaml.Node | None, what: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.issues.add(node, f"{what}: expected a list")
            return None
        return list(node.value)

    def scalar(self, node: yaml.Node | None, what: str, kind: type[T]) -> T | None:
        """A scalar of type ``kind`` (str accepts numbers written without quotes)."""
        if not isinstance(node, yaml.ScalarNode):
            self.issues.add(node, f"{what}: expected a {kind.__name__}")
            return None
        value = self.value(node)
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = node.value
        if kind is int and isinstance(value, bool):
            value = None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind):
            self.issues.add(node, f"{what}: expected a {_kind_name(kind)}, got {node.value!r}")
            return None
        return value

    def text(self, node: yaml.Node | None, what: str) -> str | None:
        """A non-empty string."""
        value = self.scalar(node, what, str)
        if value is not None and not value.strip():
            self.issues.add(node, f"{what}: must not be empty")
            return None
        return value

    def parsed(self, node: yaml.Node | None, what: str, parse: Callable[[Any], T]) -> T | None:
        """Apply ``parse`` to the scalar's value; its ValueError becomes an issue."""
        if not isinstance(node, yaml.ScalarNode):
            self.issues.add(node, f"{what}: expected a single value")
            return None
        try:
            return parse(node.value)
        except ValueError as exc:
            self.issues.add(node, f"{what}: {exc}")
            return None


def _kind_name(kind: type) -> str:
    return {str: "string", int: "whole number", bool: "true or false", float: "number"}.get(
        kind, kind.__name__
    )
