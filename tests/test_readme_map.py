"""README.md stays a map: it names every package and links every page of the manual in docs/.

Why a test: the README's layout table once left out four subpackages that had grown since it was
written; a package added without its one line in the README now fails here, naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: the application's packages (every subpackage listed) and the test tooling a newcomer meets first
PACKAGE_ROOTS = ("hashdb", "protocols", "bot", "crisisbot", "benchmarks")
ALSO_LISTED = ("protocols/library", "tests", "tests/fake_discord", "docs")
SET_UP_COMMANDS = (
    "pip install . && crisisbot run",
    "pip install -e '.[test]' && python -m pytest",
)


def _packages() -> list[str]:
    found = []
    for root in PACKAGE_ROOTS:
        for init in sorted((ROOT / root).rglob("__init__.py")):
            found.append(init.parent.relative_to(ROOT).as_posix())
    return found


def _layout_rows(text: str) -> set[str]:
    """The first cell of each row of the layout table: `pkg/`."""
    section = text[text.index("## Layout") :]
    section = section[: section.index("\n## ", 1)]
    return set(re.findall(r"^\| `([^`]+)/` \|", section, flags=re.MULTILINE))


def test_layout_names_every_package_and_subpackage() -> None:
    rows = _layout_rows(README.read_text(encoding="utf-8"))
    missing = [p for p in [*_packages(), *ALSO_LISTED] if p not in rows]
    assert missing == [], f"README.md's layout table has no line for {missing}"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))
    unlinked = [page for page in pages if f"]({page})" not in text]
    assert unlinked == [], f"README.md does not link {unlinked}"


def test_readme_opens_with_the_two_set_up_commands_and_stays_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    opening = "\n".join(lines[:6])
    for command in SET_UP_COMMANDS:
        assert command in opening, f"README.md's first lines lack {command!r}"
    assert len(lines) <= 250, f"README.md has {len(lines)} lines: move detail to docs/"
