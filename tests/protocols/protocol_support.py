"""Helpers for the protocol engine tests: a virtual clock, actors (imported by the test modules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from protocols import INCIDENT_ADMIN, Actor

START = datetime(2026, 3, 15, 1, 40, tzinfo=UTC)
ADMIN = Actor("u-admin", "Alice Admin", frozenset({INCIDENT_ADMIN}))
BOB = Actor("u-bob", "Bob", frozenset())
CAROL = Actor("u-carol", "Carol", frozenset())


class VirtualClock:
    """A clock tests move by hand; never reads the real time."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now
