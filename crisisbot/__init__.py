"""Wiring for crisisbot: the `crisisbot` command, configuration, logging, the composition root.

`composition.py` is the one place settings become open services (for every command, the API and
the bot); `drill_hashes.py` fills the drills' exercise-hash port from the hash database. This
package may import every other package; none of them may import it (`tests/test_layering.py`).
"""

from __future__ import annotations

__version__ = "0.1.0"
