"""Dependencies point one way: the cores import no adapter, and no adapter imports the wiring.

The directions (an arrow is "may import"):

    crisisbot (CLI, config, composition root) -> bot, hashdb.api, hashdb, protocols
    bot (Discord adapter)                     -> hashdb, protocols
    hashdb.api (HTTP adapter)                 -> hashdb
    hashdb, protocols (cores)                 -> nothing of each other, nothing above

Every ``import`` in a package's files is checked, also those inside functions, against the rule
of the most specific folder the file is in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: folder -> module prefixes its files must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "hashdb": ("discord", "aiohttp.web", "click", "crisisbot", "bot", "hashdb.api", "protocols"),
    "hashdb/api": ("discord", "click", "crisisbot", "bot", "protocols"),
    "protocols": ("discord", "aiohttp.web", "click", "crisisbot", "bot", "hashdb"),
    "bot": ("crisisbot", "click", "hashdb.api"),
}


def _rule(path: Path) -> str:
    """The most specific folder of ``FORBIDDEN`` that holds ``path``."""
    rel = path.relative_to(ROOT).as_posix()
    return max((folder for folder in FORBIDDEN if rel.startswith(folder + "/")), key=len)


def _files() -> list[Path]:
    return sorted({path for folder in FORBIDDEN for path in (ROOT / folder).rglob("*.py")})


def _imports(source: str) -> list[str]:
    """Every absolute module name ``source`` imports, and ``module.name`` for each from-import."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _violations(path: Path, source: str | None = None) -> list[str]:
    forbidden = FORBIDDEN[_rule(path)]
    text = path.read_text(encoding="utf-8") if source is None else source
    return [
        name
        for name in _imports(text)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_module_imports_only_along_the_arrows(path: Path) -> None:
    bad = _violations(path)
    assert bad == [], f"{path.relative_to(ROOT)} imports against the layering: {bad}"


def test_the_check_sees_a_wrong_import() -> None:
    """The scan itself works: imports against the arrows, even inside a function, are found."""
    source = (
        "import discord\n\n"
        "def f():\n    from crisisbot.config import Settings\n    import hashdb.api.app\n"
    )
    probe = ROOT / "bot" / "cogs" / "probe.py"  # not written: the rule comes from the folder
    assert _violations(probe, source) == [
        "crisisbot.config",
        "crisisbot.config.Settings",
        "hashdb.api.app",
    ]
