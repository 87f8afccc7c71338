"""Type stub for the native module built from ``hashdb/_hamming.c`` (see its ``search_doc``).

mypy cannot read a C extension; this stub resolves the import and states its one function, so a
direct call is checked (``hashdb/index.py`` keeps it as ``ModuleType | None``, the module being
optional, which leaves its one call unchecked; the tests run it on every build). At run time any
object exporting a C-contiguous buffer of the right item size is accepted; the index passes numpy
arrays, and numpy declares its buffer protocol to type checkers only from Python 3.12, so the
stub names numpy arrays.
"""

from typing import Any

import numpy as np

_Array = np.ndarray[Any, Any]

def search(
    codes: _Array,
    alive: _Array,
    prefix: _Array,
    order: _Array,
    offsets: _Array,
    words: int,
    pwords: int,
    chunks: int,
    n: int,
    built: int,
    queries: _Array,
    radius: int,
    flips: int,
    out_rows: _Array,
    out_dist: _Array,
    out_counts: _Array,
    /,
) -> int:
    """Every live row within ``radius`` of each query; returns the total number of hits."""
