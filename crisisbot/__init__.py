"""Wiring for crisisbot: the `crisisbot` command, configuration, logging.

This package is the composition root. It may import every other package; `hashdb/` and
`protocols/` (the pure core) must never import it.
"""

from __future__ import annotations

__version__ = "0.1.0"
