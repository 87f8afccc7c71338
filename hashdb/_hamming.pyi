"""Type stub for the native module built from ``hashdb/_hamming.c`` (see its ``search_doc``).

mypy cannot read a C extension; this stub states its one function so that ``hashdb/index.py``
is checked against it. Arrays are any object exporting a C-contiguous buffer (numpy arrays).
"""

from typing_extensions import Buffer

def search(
    codes: Buffer,
    alive: Buffer,
    prefix: Buffer,
    order: Buffer,
    offsets: Buffer,
    words: int,
    pwords: int,
    chunks: int,
    n: int,
    built: int,
    queries: Buffer,
    radius: int,
    flips: int,
    out_rows: Buffer,
    out_dist: Buffer,
    out_counts: Buffer,
    /,
) -> int:
    """Every live row within ``radius`` of each query; returns the total number of hits."""
