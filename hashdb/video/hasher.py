"""Hashing a video file: the stored form (``hash_video``) and the query form (``query_video``).

- ``hash_video`` gives the ``VideoHash`` a video entry stores: one PDQ per sampled frame of the
  whole frame (what Meta's vPDQ computes, so hashes exchanged with other platforms compare), pruned
  (``hashdb.video.model.prune_frames``), with the file's MD5 and SHA-256;
- ``query_video`` gives a ``VideoQuery``: the same frames, each with every value worth searching
  for it, from the same query-side normalisation as images (``hashdb.perceptual.
  pdq_search_values``: the 8 dihedral variants and the mirrored pixels, again for the content
  inside uniform borders when ``hashdb.variants.content_box`` finds any; ``hashdb.video.boxes``
  adds the content found by comparing frames: a picture-in-picture window, a screen recording's
  player, a blurred 9:16 fill);
- ``on_key_frame``: a hook handed the pixels of a bounded number of key frames (the first frame
  of each shot), for a signal that needs pixels, such as local features. Nothing here keeps them.

Memory stays bounded by the kept hashes: frames are sampled one at a time
(``hashdb.video.container.FrameSampler``) and pruned as they come.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from hashdb.decoding import HashLimits
from hashdb.errors import UnsupportedMedia
from hashdb.perceptual import pdq_hash
from hashdb.video.boxes import BoxTracker
from hashdb.video.container import FrameSampler, SampledFrame, VideoSource
from hashdb.video.frames import frame_search_values
from hashdb.video.model import FramePruner, VideoFrameHash, VideoHash, VideoQuery, prune_frames

__all__ = [
    "KEY_FRAME_DISTANCE",
    "KeyFrameHook",
    "KeyFrames",
    "VideoQuery",
    "file_digests",
    "hash_video",
    "query_video",
]

#: a kept frame this far (bits) from the previous kept one starts a new shot: a key frame
#: (unrelated pictures are ~128 bits apart; a second of steady camera motion moves 20-90)
KEY_FRAME_DISTANCE = 100
#: ``on_key_frame(timestamp, pixels)``
KeyFrameHook = Callable[[float, np.ndarray], None]
_CHUNK = 1 << 20


class KeyFrames:
    """A key-frame hook that keeps at most ``capacity`` key frames spread over the whole video.

    Why not the first ``capacity``: a query's key frames stand for the whole video, and a long
    one has hundreds. While the video streams in, every key frame is offered; when ``capacity``
    are held, every second one is dropped and from then on only every second offer is taken
    (then every fourth...), so the kept frames stay spread evenly at bounded memory
    (``capacity`` frames of at most 640 px).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.frames: list[tuple[float, np.ndarray]] = []
        self._stride = 1
        self._offered = 0

    def __call__(self, timestamp: float, pixels: np.ndarray) -> None:
        self._offered += 1
        if (self._offered - 1) % self._stride:
            return
        self.frames.append((timestamp, pixels))
        if len(self.frames) > self.capacity:
            self.frames = self.frames[::2]
            self._stride *= 2


def file_digests(source: VideoSource) -> tuple[str, str]:
    """MD5 and SHA-256 of the bytes, or of the file read in 1 MiB chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    if isinstance(source, bytes | bytearray | memoryview):
        md5.update(source)
        sha256.update(source)
    else:
        with Path(source).open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                md5.update(chunk)
                sha256.update(chunk)
    return md5.hexdigest(), sha256.hexdigest()


def _name(source: VideoSource, name: str | None) -> str:
    if name is not None:
        return name
    return "<upload>" if isinstance(source, bytes | bytearray | memoryview) else os.fspath(source)


def _frame_hash(sample: SampledFrame) -> VideoFrameHash:
    pdq = pdq_hash(sample.pixels)
    return VideoFrameHash(
        sample.frame_number, pdq.value, int(pdq.quality or 0), round(sample.timestamp, 3)
    )


def _finish(sampler: FrameSampler, frames: list[VideoFrameHash], name: str) -> VideoHash:
    info = sampler.info
    duration = info.duration
    if sampler.cut_short is not None or duration is None:
        duration = None if sampler.cut_short else sampler.decoded_seconds or None
    return VideoHash(
        tuple(frames), duration=duration, fps=info.fps, cut_short=sampler.cut_short, name=name
    )


def hash_video(
    source: VideoSource,
    *,
    name: str | None = None,
    limits: HashLimits | None = None,
    prune: bool = True,
) -> VideoHash:
    """The vPDQ ``VideoHash`` of a video (bytes or a path streamed from disk).

    Raises UnsupportedMedia (FileTooLarge) naming the file for anything that is not a whole,
    decodable video within the limits; ``cut_short`` is set when a cap stopped it early.
    """
    label = _name(source, name)
    limits = limits or HashLimits()
    with FrameSampler(source, name=label, limits=limits) as sampler:
        frames: Iterable[VideoFrameHash] = (_frame_hash(sample) for sample in sampler)
        kept = prune_frames(frames) if prune else list(frames)
        video = _finish(sampler, kept, label)
    md5, sha256 = _digests(source, label)
    return video.with_digests(md5, sha256)


def _digests(source: VideoSource, name: str) -> tuple[str, str]:
    try:
        return file_digests(source)
    except OSError as exc:
        raise UnsupportedMedia(f"{name}: cannot read file ({exc.strerror or exc})") from None


def query_video(
    source: VideoSource,
    *,
    name: str | None = None,
    limits: HashLimits | None = None,
    trim: bool = True,
    on_key_frame: KeyFrameHook | None = None,
    max_key_frames: int = 16,
) -> VideoQuery:
    """The ``VideoQuery`` of a video: pruned frames, each with its search values.

    ``trim=False`` searches each frame as it is (and mirrored, and its dihedral variants) without
    looking for borders or windows: the benchmark's baseline.
    """
    label = _name(source, name)
    limits = limits or HashLimits()
    frames: list[VideoFrameHash] = []
    values: list[tuple[str, ...]] = []
    key_frames = 0
    pruner = FramePruner()
    with FrameSampler(source, name=label, limits=limits) as sampler:
        tracker = BoxTracker() if trim else None
        for sample, boxes in _with_boxes(sampler, tracker):
            frame = _frame_hash(sample)
            distance = _distance(frames[-1].pdq, frame.pdq) if frames else 256
            if not pruner.keep(frame):
                continue
            key = distance >= KEY_FRAME_DISTANCE and key_frames < max_key_frames
            if on_key_frame is not None and key:
                on_key_frame(frame.timestamp, sample.pixels)
                key_frames += 1
            frames.append(frame)
            values.append(frame_search_values(sample.pixels, frame.pdq, boxes))
        video = _finish(sampler, frames, label)
    md5, sha256 = _digests(source, label)
    return VideoQuery(video.with_digests(md5, sha256), tuple(values))


def _with_boxes(
    sampler: Iterable[SampledFrame], tracker: BoxTracker | None
) -> Iterator[tuple[SampledFrame, tuple[tuple[int, int, int, int], ...]]]:
    """Each sampled frame with the content boxes worth searching (none without a tracker)."""
    if tracker is None:
        for sample in sampler:
            yield sample, ()
        return
    yield from tracker.track(sampler)


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
