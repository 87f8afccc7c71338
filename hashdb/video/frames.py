"""The values a query searches for one sampled frame (pixels to PDQ hex strings).

The frame as it is with ``hashdb.perceptual.pdq_search_values`` (its 8 dihedral variants and its
mirrored pixels: the query-side normalisation an uploaded image gets), and the content of each
box found in it (``hashdb.video.boxes``: bars, a window, a player) as it is and mirrored. Why not
the dihedral variants of every box: a turned picture inside a window is rare, and seven more
searches for each of up to six boxes of every frame would triple a lookup's cost.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from hashdb.perceptual import pdq_hash, pdq_search_values
from hashdb.variants import Box

__all__ = ["frame_search_values"]


def frame_search_values(pixels: np.ndarray, own: str, boxes: Iterable[Box] = ()) -> tuple[str, ...]:
    """Distinct search values for a frame whose own PDQ is ``own`` (always first)."""
    values = [own, *pdq_search_values(pixels)]
    for left, top, right, bottom in boxes:
        inside = pixels[top:bottom, left:right]
        values += [pdq_hash(inside).value, pdq_hash(np.ascontiguousarray(inside[:, ::-1])).value]
    return tuple(dict.fromkeys(values))
