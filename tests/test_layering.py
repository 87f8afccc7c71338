"""The core packages must not import adapters: Discord, the HTTP server, or the CLI wiring."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("discord", "aiohttp.web", "crisisbot", "bot", "click")
CORE_DIRS = ("hashdb", "protocols")
# Adapter sub-packages that live inside a core package's folder.
ADAPTER_DIRS = ("hashdb/api",)


def _core_files() -> list[Path]:
    files = []
    for core in CORE_DIRS:
        for path in (ROOT / core).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if not any(rel.startswith(a + "/") for a in ADAPTER_DIRS):
                files.append(path)
    return files


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_core_module_imports_no_adapter(path: Path) -> None:
    bad = [
        name
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert bad == [], f"{path.relative_to(ROOT)} imports adapter modules: {bad}"
