"""Where the picture is inside a query frame: boxes worth hashing on their own.

An edited copy often shows the original inside something else: black bars (letterbox,
pillarbox), a blurred copy of itself filling a 9:16 frame, a screen recording's app around the
player, a picture-in-picture window over another video. The PDQ of the whole frame is then far
from the original's; the PDQ of the right box is close. A video gives what a single image does
not: several frames of the same layout. ``BoxTracker`` looks at the sampled frames in chunks of
``CHUNK`` and proposes, per frame:

- **uniform borders** of the frame itself (``hashdb.variants.content_box``, as for images);
- **the active region**: where the picture both changes from frame to frame and is sharp. Bars
  and an app's UI do not change; a blurred fill changes but is not sharp. The rows, then the
  columns, where enough pixels are active give the box;
- **a window**: a rectangle whose edges stay in place while the pictures on both sides change
  (a picture-in-picture window's border, a player's frame). Lines are rows (columns) where a long
  run of pixels has a strong edge in most frames of the chunk; two lines across and two lines
  down (or the frame's own edges) that meet make a window.

Each box is found on a small grey copy (``_SMALL`` pixels on the long side), then its sides are
moved to the strongest edge nearby at full size: PDQ moves 20-40 bits for a 1-2 % shift of the
crop, so a box has to be right to the pixel. Why chunks and not the whole video: layouts change
(a compilation), and a chunk bounds what is held (``CHUNK`` frames of at most 640 px).

Boxes are only proposals: every frame is searched as it is too, and a wrong box costs a few
searches, never a match (the segment rule still has to hold).

Pixels to boxes only; no hashing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from PIL import Image

from hashdb.variants import Box, content_box
from hashdb.video.container import SampledFrame

__all__ = ["CHUNK", "BoxTracker", "active_boxes", "layout_boxes", "window_boxes"]

#: sampled frames looked at together
CHUNK = 8
_SMALL = 160
#: grey levels (0-255): a pixel changes (temporal std) / is sharp (mean gradient) above these
_CHANGING = 8.0
_SHARP = 6.0
#: share of a row's (column's) pixels that must be active for it to be inside the picture
_ACTIVE_SHARE = 0.25
#: an edge pixel: a step of this many grey levels; a line: edge in this share of the frames,
#: over a run of at least ``_LINE_SPAN`` of the frame's width (height)
_EDGE_STEP = 24.0
_EDGE_FRAMES = 0.75
_LINE_SPAN = 0.25
#: a box keeps at least this share of each side and trims at least ``_MIN_TRIM`` of one
_MIN_KEEP = 0.25
_MIN_TRIM = 0.03
#: lines closer than this (small pixels) are the same line; refinement looks this far (full px)
_SNAP = 2
_MAX_WINDOWS = 2
#: a window's border: up to this many lines (full pixels) whose grey levels vary less than
#: ``_UNIFORM`` (standard deviation) in every frame are shaved off the box
_SHAVE = 6
_UNIFORM = 6.0
#: how far (share of the frame's long side) a layout guess's sides may move to an edge
_LAYOUT_REACH = 0.03


def _grey_small(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    scale = min(1.0, _SMALL / max(height, width))
    image = Image.fromarray(pixels).convert("L")
    if scale < 1:
        size = (max(8, round(width * scale)), max(8, round(height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True in a 1-D mask."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _longest_run(mask: np.ndarray, gap: int = 2) -> tuple[int, int] | None:
    """The longest run of True, bridging gaps of up to ``gap`` False."""
    runs = _runs(mask)
    if not runs:
        return None
    merged = [runs[0]]
    for start, stop in runs[1:]:
        if start - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return max(merged, key=lambda run: run[1] - run[0])


def _sane(box: tuple[int, int, int, int], width: int, height: int) -> bool:
    left, top, right, bottom = box
    kept_w, kept_h = right - left, bottom - top
    if kept_w < _MIN_KEEP * width or kept_h < _MIN_KEEP * height:
        return False
    return (width - kept_w) >= _MIN_TRIM * width or (height - kept_h) >= _MIN_TRIM * height


def _region(active: np.ndarray) -> Box | None:
    """The box of rows, then columns, where at least ``_ACTIVE_SHARE`` of pixels are active."""
    height, width = active.shape
    rows = _longest_run(active.mean(axis=1) >= _ACTIVE_SHARE)
    if rows is None:
        return None
    cols = _longest_run(active[rows[0] : rows[1]].mean(axis=0) >= _ACTIVE_SHARE)
    if cols is None:
        return None
    box = (cols[0], rows[0], cols[1], rows[1])
    return box if _sane(box, width, height) else None


def active_boxes(small: np.ndarray) -> list[Box]:
    """Boxes of the active region of a chunk of small grey frames (K x H x W): where pixels
    change, and where they change and are sharp (a blurred fill changes too)."""
    if len(small) < 3:
        return []
    changing = small.std(axis=0) > _CHANGING
    grad_x = np.abs(np.diff(small, axis=2)).mean(axis=0)
    grad_y = np.abs(np.diff(small, axis=1)).mean(axis=0)
    sharp = np.zeros(small.shape[1:], bool)
    sharp[:, :-1] |= grad_x > _SHARP
    sharp[:-1, :] |= grad_y > _SHARP
    found = [_region(changing), _region(changing & sharp)]
    return [box for box in dict.fromkeys(found) if box is not None]


def layout_boxes(width: int, height: int) -> list[Box]:
    """Where reposts put the picture: a landscape picture across the middle of a portrait frame
    (16:9, 4:3), a portrait picture down the middle of a landscape frame (9:16, 3:4). Why
    guess: a blurred fill is made of the picture itself, so neither change nor edges tell it
    apart reliably on dark or soft footage; the guess is refined to the nearest edge."""
    boxes: list[Box] = []
    if height >= 1.3 * width:
        for aspect in (16 / 9, 4 / 3):
            band = round(width / aspect)
            top = (height - band) // 2
            boxes.append((0, top, width, top + band))
    elif width >= 1.3 * height:
        for aspect in (9 / 16, 3 / 4):
            band = round(height * aspect)
            left = (width - band) // 2
            boxes.append((left, 0, left + band, height))
    return boxes


def _lines(persistent: np.ndarray, span: int) -> list[tuple[int, int, int]]:
    """(position, start, stop) of each line: a row of ``persistent`` with a run >= ``span``."""
    found: list[tuple[int, int, int]] = []
    for position, row in enumerate(persistent):
        run = _longest_run(row, gap=1)
        if run is not None and run[1] - run[0] >= span:
            if found and position - found[-1][0] <= _SNAP:
                if run[1] - run[0] > found[-1][2] - found[-1][1]:
                    found[-1] = (position, *run)
                continue
            found.append((position, *run))
    return found


def _near(a: int, b: int, tolerance: int) -> bool:
    return abs(a - b) <= tolerance


def window_boxes(small: np.ndarray) -> list[Box]:
    """Windows: rectangles of persistent edges in a chunk of small grey frames (K x H x W)."""
    if len(small) < 3:
        return []
    _, height, width = small.shape
    step_y = np.abs(np.diff(small, axis=1)) > _EDGE_STEP  # K x (H-1) x W: edge below row y
    step_x = np.abs(np.diff(small, axis=2)) > _EDGE_STEP
    across = _lines(step_y.mean(axis=0) >= _EDGE_FRAMES, round(_LINE_SPAN * width))
    down = _lines((step_x.mean(axis=0) >= _EDGE_FRAMES).T, round(_LINE_SPAN * height))
    # the frame's own edges close a window that touches them
    across += [(-1, 0, width), (height - 1, 0, width)]
    down += [(-1, 0, height), (width - 1, 0, height)]
    tol = 2 * _SNAP
    boxes: list[tuple[int, int, Box]] = []
    for top, t_start, t_stop in across:
        for bottom, b_start, b_stop in across:
            if bottom - top < _MIN_KEEP * height:
                continue
            for left, l_start, l_stop in down:
                for right, r_start, r_stop in down:
                    if right - left < _MIN_KEEP * width:
                        continue
                    horizontal_ok = all(
                        start <= left + tol and stop >= right - tol
                        for start, stop in ((t_start, t_stop), (b_start, b_stop))
                    )
                    vertical_ok = all(
                        start <= top + tol and stop >= bottom - tol
                        for start, stop in ((l_start, l_stop), (r_start, r_stop))
                    )
                    if not (horizontal_ok and vertical_ok):
                        continue
                    box = (left + 1, top + 1, right + 1, bottom + 1)
                    if _sane(box, width, height):
                        # drawn sides first (a window's own border), then the larger
                        drawn = (top >= 0) + (bottom < height - 1) + (left >= 0)
                        drawn += right < width - 1
                        boxes.append((drawn, (right - left) * (bottom - top), box))
    boxes.sort(reverse=True)
    out: list[Box] = []
    for _, _, box in boxes:
        if all(not all(_near(a, b, tol) for a, b in zip(box, kept, strict=True)) for kept in out):
            out.append(box)
    return out[:_MAX_WINDOWS]


def _refine(box: Box, grey: list[np.ndarray], reach: int) -> Box:
    """``box`` (full pixels) with each side moved to the strongest edge within ``reach``."""
    height, width = grey[0].shape
    left, top, right, bottom = box
    mean_rows = np.mean([np.abs(np.diff(g, axis=0)) for g in grey], axis=0)  # H-1 x W
    mean_cols = np.mean([np.abs(np.diff(g, axis=1)) for g in grey], axis=0)  # H x W-1

    def best(profile: np.ndarray, centre: int) -> int:
        low, high = max(0, centre - reach), min(len(profile), centre + reach + 1)
        if high <= low:
            return centre
        return low + int(np.argmax(profile[low:high])) + 1  # the edge is between k and k+1

    span_x = slice(max(0, left), max(left + 1, min(width, right)))
    span_y = slice(max(0, top), max(top + 1, min(height, bottom)))
    row_edges = mean_rows[:, span_x].mean(axis=1)
    col_edges = mean_cols[span_y, :].mean(axis=0)
    new_top = best(row_edges, top - 1) if top > 0 else 0
    new_bottom = best(row_edges, bottom - 1) if bottom < height else height
    new_left = best(col_edges, left - 1) if left > 0 else 0
    new_right = best(col_edges, right - 1) if right < width else width
    return _shave((new_left, new_top, new_right, new_bottom), grey)


def _uniform(lines: list[np.ndarray]) -> bool:
    """Every line (one per frame) is nearly one grey level."""
    return all(float(line.std()) < _UNIFORM for line in lines)


def _shave(box: Box, grey: list[np.ndarray]) -> Box:
    """``box`` without a thin uniform frame inside it (a window's border line)."""
    left, top, right, bottom = box
    for _ in range(_SHAVE):
        if bottom - top > 2 and _uniform([g[top, left:right] for g in grey]):
            top += 1
        elif bottom - top > 2 and _uniform([g[bottom - 1, left:right] for g in grey]):
            bottom -= 1
        elif right - left > 2 and _uniform([g[top:bottom, left] for g in grey]):
            left += 1
        elif right - left > 2 and _uniform([g[top:bottom, right - 1] for g in grey]):
            right -= 1
        else:
            break
    return (left, top, right, bottom)


class BoxTracker:
    """Boxes worth searching for each frame of a stream of sampled frames."""

    def track(
        self, samples: Iterable[SampledFrame]
    ) -> Iterator[tuple[SampledFrame, tuple[Box, ...]]]:
        chunk: list[SampledFrame] = []
        for sample in samples:
            if chunk and sample.pixels.shape != chunk[0].pixels.shape:
                yield from self._chunk(chunk)
                chunk = []
            chunk.append(sample)
            if len(chunk) == CHUNK:
                yield from self._chunk(chunk)
                chunk = []
        if chunk:
            yield from self._chunk(chunk)

    def _chunk(self, chunk: list[SampledFrame]) -> Iterator[tuple[SampledFrame, tuple[Box, ...]]]:
        frames = [sample.pixels for sample in chunk]
        small = np.stack([_grey_small(pixels) for pixels in frames])
        grey = [pixels.mean(axis=2, dtype=np.float32) for pixels in frames]
        height, width = grey[0].shape
        factor = width / small.shape[2]
        snap = max(2, round(factor * _SNAP))
        found = [
            (tuple(round(v * factor) for v in box), snap)
            for box in (*active_boxes(small), *window_boxes(small))
        ]
        found += [
            (box, round(_LAYOUT_REACH * max(width, height))) for box in layout_boxes(width, height)
        ]
        shared = [_refine(box, grey, reach) for box, reach in found]
        shared = [box for box in dict.fromkeys(shared) if _sane(box, width, height)]
        for sample in chunk:
            own = content_box(Image.fromarray(sample.pixels))
            boxes = ([own] if own is not None else []) + shared
            yield sample, tuple(dict.fromkeys(boxes))
