"""The error tree of the hash database: every failure a caller can act on.

Adapters (CLI, HTTP API, Discord bot) map these to messages and status codes in one place each;
the core never prints. Messages are written for the responder who will read them: they name the
file, hash, list or entry concerned and the reason.

::

    HashDBError
    ├── InvalidHash          malformed or wrong-length hash, unknown signal type
    ├── UnsupportedMedia     not an image or video, truncated, decompression bomb
    │   └── FileTooLarge     over the configured size limit (checked before decoding)
    ├── LowQualityHash       a PDQ hash too flat to match reliably, added without consent
    ├── ListNotFound
    ├── EntryNotFound
    ├── ListExists
    ├── DrillListViolation   an exercise hash into a real list, or a real hash into an exercise list
    ├── ImportFormatError    a line of an import file cannot be parsed (carries the line number)
    └── InvalidArgument      a bad list name, kind, visibility, threshold, verdict...
"""

from __future__ import annotations

__all__ = [
    "DrillListViolation",
    "EntryNotFound",
    "FileTooLarge",
    "HashDBError",
    "ImportFormatError",
    "InvalidArgument",
    "InvalidHash",
    "ListExists",
    "ListNotFound",
    "LowQualityHash",
    "UnsupportedMedia",
]


class HashDBError(Exception):
    """Root of every error the hash database raises on purpose."""


class InvalidHash(HashDBError, ValueError):
    """A hash string is malformed, has the wrong length, or names an unknown signal type."""


class UnsupportedMedia(HashDBError):
    """The bytes cannot be hashed: not an image/video, truncated, or a decompression bomb."""


class FileTooLarge(UnsupportedMedia):
    """The file is larger than ``HashLimits.max_file_bytes``; it was not decoded."""


class LowQualityHash(HashDBError):
    """A PDQ hash's quality is below the useful minimum (flat or near-blank image).

    Such hashes match many unrelated images, so they are never added to a list unless the caller
    says so explicitly (``allow_low_quality=True``).
    """


class ListNotFound(HashDBError, LookupError):
    """No hash list has this name."""


class EntryNotFound(HashDBError, LookupError):
    """No entry has this id."""


class ListExists(HashDBError):
    """A hash list with this name already exists."""


class DrillListViolation(HashDBError):
    """Drill (exercise) content and real content must never mix in one list."""


class ImportFormatError(HashDBError):
    """A line of an import file cannot be parsed; ``line`` is 1-based."""

    def __init__(self, message: str, *, line: int, source: str = "<input>") -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.line = line
        self.source = source


class InvalidArgument(HashDBError, ValueError):
    """A value given to the service is not acceptable (the message says which and why)."""
