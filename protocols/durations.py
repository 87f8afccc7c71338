"""Durations in protocol files: ``45s``, ``15m``, ``2h``, ``1d``, ``1h30m`` or ISO 8601 ``PT15M``.

Why both: responders write ``2h``; exported protocols from other tools use ISO 8601. Months and
years are refused because their length is ambiguous. Imports nothing from the package.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration"]

_SHORT = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_ISO = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """Parse a duration; raise ``ValueError`` with a readable message when it is not one."""
    raw = str(text).strip()
    short = _SHORT.match(raw)
    if raw and short and any(short.groups()):
        d, h, m, s = (int(g or 0) for g in short.groups())
        return timedelta(days=d, hours=h, minutes=m, seconds=s)
    iso = _ISO.match(raw.upper())
    if raw and iso and any(iso.groups()) and not raw.upper().endswith("T"):
        w, d, h, m, s = (int(g or 0) for g in iso.groups())
        return timedelta(weeks=w, days=d, hours=h, minutes=m, seconds=s)
    raise ValueError(
        f"bad duration {text!r}: use e.g. 45s, 15m, 2h, 1d, 1h30m or ISO 8601 PT15M, P1DT2H"
    )


def format_duration(value: timedelta) -> str:
    """The short form (``1d2h``, ``15m``, ``0s``); negative durations get a leading ``-``."""
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + ("".join(parts) or "0s")
