"""Drill time offsets: ``T+mm:ss``, ``T+h:mm:ss``, ``T+1h02m``, ``T+20m``, and plain durations.

A drill's timeline is written relative to T0, the moment the drill starts. This module owns the
one grammar for those offsets (and for durations such as ``10m`` in ``within: 10m``) and the one
way of printing them, so that scenario files, scripts, prompts and reports all agree.

Builds on :mod:`protocols.durations` (the protocol files' grammar) and adds ``mm:ss``.
"""

from __future__ import annotations

import re
from datetime import timedelta

from protocols.durations import parse_duration as protocol_duration

__all__ = ["format_offset", "parse_duration", "parse_offset"]

_CLOCK = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d+):(?P<s>\d{2})$")


def parse_duration(text: object) -> timedelta:
    """``10m``, ``1h02m``, ``90s`` (the protocol grammar) or ``05:00`` / ``1:05:00`` (h:mm:ss).

    Raises ValueError with a message written for the scenario author.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise ValueError(f"expected a duration such as 10m, 1h02m or 05:00, got {text!r}")
    raw = str(text).strip().lower().replace(" ", "")
    if raw.isdigit():
        raise ValueError(f"a duration needs a unit or mm:ss (e.g. {raw}m or {raw}:00), got {raw!r}")
    match = _CLOCK.match(raw)
    if not match:
        try:
            return protocol_duration(raw)
        except ValueError:
            raise ValueError(
                f"expected a duration such as 10m, 1h02m or 05:00, got {text!r}"
            ) from None
    if int(match["s"]) >= 60 or (match["h"] is not None and int(match["m"]) >= 60):
        raise ValueError(f"minutes and seconds must be below 60 in {raw!r}")
    return timedelta(
        hours=int(match["h"] or 0), minutes=int(match["m"] or 0), seconds=int(match["s"])
    )


def parse_offset(text: object) -> timedelta:
    """``T+05:00``, ``T+1:02:30``, ``T+1h02m``, ``T+20m`` or ``T+0`` -> time since T0."""
    if not isinstance(text, str):
        raise ValueError(f"expected an offset such as T+05:00 or T+1h02m, got {text!r}")
    raw = text.strip().replace(" ", "")
    if not raw.upper().startswith("T+"):
        raise ValueError(f"an offset starts with T+ (e.g. T+05:00 or T+1h02m), got {text!r}")
    rest = raw[2:]
    if rest == "0":
        return timedelta(0)
    try:
        return parse_duration(rest)
    except ValueError:
        raise ValueError(f"expected an offset such as T+05:00 or T+1h02m, got {text!r}") from None


def format_offset(delta: timedelta) -> str:
    """Canonical spelling: ``T+mm:ss`` below an hour, ``T+h:mm:ss`` above, ``T-`` if negative."""
    total = int(delta.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    hours, rem = divmod(total, 3600)
    minutes, seconds = divmod(rem, 60)
    if hours:
        return f"T{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"T{sign}{minutes:02d}:{seconds:02d}"
