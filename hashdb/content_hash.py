"""``ContentHash``: one hash of one piece of content, the value every hashing function returns."""

from __future__ import annotations

from dataclasses import dataclass

from hashdb.signals import PDQ_MIN_QUALITY

__all__ = ["ContentHash"]


@dataclass(frozen=True)
class ContentHash:
    """One hash of one piece of content.

    ``quality`` is PDQ's 0-100 score (None for other types); ``frame_seconds`` is set for hashes of
    video frames (the frame's timestamp).
    """

    signal: str
    value: str
    quality: int | None = None
    frame_seconds: float | None = None

    @property
    def low_quality(self) -> bool:
        return self.quality is not None and self.quality < PDQ_MIN_QUALITY

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"signal": self.signal, "value": self.value}
        if self.quality is not None:
            out["quality"] = self.quality
            out["low_quality"] = self.low_quality
        if self.frame_seconds is not None:
            out["frame_seconds"] = self.frame_seconds
        return out
