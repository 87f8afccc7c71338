"""Prometheus text-format metrics for the API, without a client library.

Why hand-rolled: four metric families, one process, no push gateway; the text format is small and
stable (https://prometheus.io/docs/instrumenting/exposition_formats/). Families:

- ``crisisbot_api_requests_total{route,method,status}`` counter
- ``crisisbot_api_request_duration_seconds{route}`` histogram
- ``crisisbot_api_hashes_queried_total`` / ``crisisbot_api_matches_total{list_kind}`` counters
- ``crisisbot_api_index_entries`` gauge (filled in at scrape time)
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

__all__ = ["ApiMetrics", "LATENCY_BUCKETS"]

LATENCY_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in pairs
    )
    return "{" + inner + "}" if inner else ""


class _Histogram:
    __slots__ = ("counts", "total", "count")

    def __init__(self) -> None:
        self.counts = [0] * len(LATENCY_BUCKETS)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        index = bisect.bisect_left(LATENCY_BUCKETS, value)
        if index < len(self.counts):
            self.counts[index] += 1
        self.total += value
        self.count += 1


class ApiMetrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.latency: dict[str, _Histogram] = defaultdict(_Histogram)
        self.hashes_queried = 0
        self.matches: dict[str, int] = defaultdict(int)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests[(route, method, str(status))] += 1
        self.latency[route].observe(seconds)

    def observe_matches(self, queried: int, block: int, allow: int) -> None:
        self.hashes_queried += queried
        self.matches["block"] += block
        self.matches["allow"] += allow

    def render(self, *, index_entries: int) -> str:
        lines = [
            "# HELP crisisbot_api_requests_total HTTP requests handled.",
            "# TYPE crisisbot_api_requests_total counter",
        ]
        for (route, method, status), n in sorted(self.requests.items()):
            labels = _labels([("route", route), ("method", method), ("status", status)])
            lines.append(f"crisisbot_api_requests_total{labels} {n}")
        lines += [
            "# HELP crisisbot_api_request_duration_seconds Request latency.",
            "# TYPE crisisbot_api_request_duration_seconds histogram",
        ]
        for route, hist in sorted(self.latency.items()):
            cumulative = 0
            for bound, n in zip(LATENCY_BUCKETS, hist.counts, strict=True):
                cumulative += n
                labels = _labels([("route", route), ("le", repr(bound))])
                lines.append(f"crisisbot_api_request_duration_seconds_bucket{labels} {cumulative}")
            labels = _labels([("route", route), ("le", "+Inf")])
            lines.append(f"crisisbot_api_request_duration_seconds_bucket{labels} {hist.count}")
            route_label = _labels([("route", route)])
            lines.append(f"crisisbot_api_request_duration_seconds_sum{route_label} {hist.total}")
            lines.append(f"crisisbot_api_request_duration_seconds_count{route_label} {hist.count}")
        lines += [
            "# HELP crisisbot_api_hashes_queried_total Hashes looked up (single, batch, upload).",
            "# TYPE crisisbot_api_hashes_queried_total counter",
            f"crisisbot_api_hashes_queried_total {self.hashes_queried}",
            "# HELP crisisbot_api_matches_total Matches returned, by list kind.",
            "# TYPE crisisbot_api_matches_total counter",
        ]
        for kind in ("block", "allow"):
            lines.append(f'crisisbot_api_matches_total{{list_kind="{kind}"}} {self.matches[kind]}')
        lines += [
            "# HELP crisisbot_api_index_entries Active entries in the hash index.",
            "# TYPE crisisbot_api_index_entries gauge",
            f"crisisbot_api_index_entries {index_entries}",
        ]
        return "\n".join(lines) + "\n"
