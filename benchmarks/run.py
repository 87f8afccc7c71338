"""Run crisisbot's benchmarks: ``python -m benchmarks.run [NAME...] [--quick]``.

Every benchmark is a module ``benchmarks/bench_<name>.py`` with ``main(quick: bool) -> None`` that
prints a table whose figures are ratios against a baseline measured in the same run, so numbers
from different machines compare. With no NAME every benchmark runs. ``--quick`` uses smaller
sizes (for a smoke run; the goals in the issues are stated for the full sizes).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {available()})")
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {available()}", file=sys.stderr
        )
        return 2
    sys.path.insert(0, str(HERE.parent))
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module.main(quick=args.quick)
        print(f"({name}: {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
