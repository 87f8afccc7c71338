"""A YAML loader that refuses nesting deeper than :data:`MAX_DEPTH` with the place it starts.

PyYAML's composer builds the node tree by recursion, one level of nesting after another, so a
file nested a few thousand levels deep (``[[[[...`` or indented mappings) ran out of Python's
recursion limit and came out as ``internal error (RecursionError)`` with no file or line.
:class:`BoundedSafeLoader` counts the levels as it composes and raises a ``ComposerError`` (a
``yaml.MarkedYAMLError``, which every reader already turns into ``file:line:column: invalid
YAML: ...``) at the first node past the limit. Protocols, drill scenarios, action scripts and
the config file are a few levels deep; :data:`MAX_DEPTH` leaves them ample room.

Imports nothing from the rest of crisisbot.
"""

from __future__ import annotations

import yaml
from yaml.composer import ComposerError
from yaml.nodes import Node

__all__ = ["MAX_DEPTH", "BoundedSafeLoader"]

#: deepest nesting of lists and mappings accepted (the shipped protocols use 6)
MAX_DEPTH = 100


class BoundedSafeLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no types
    """``yaml.SafeLoader`` with nesting bounded by :data:`MAX_DEPTH`."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        if self._depth >= MAX_DEPTH:
            raise ComposerError(
                None,
                None,
                f"nested more than {MAX_DEPTH} levels deep",
                self.peek_event().start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
