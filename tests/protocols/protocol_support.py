"""Helpers for the protocol engine tests: a virtual clock, actors, given/when helpers for
``decide`` (imported by the test modules)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from protocols import (
    HASH_COORDINATOR,
    INCIDENT_ADMIN,
    TIMELINE_RECORDER,
    ActivateIncident,
    Actor,
    AddNote,
    AdvanceStage,
    AssignRole,
    AttachEvidence,
    ChangeSeverity,
    Close,
    CompleteStep,
    Conclude,
    DeclareIncident,
    Event,
    IncidentService,
    LinkHashEntry,
    Participant,
    ProtocolLibrary,
    RecordEscalation,
    RecordMatch,
    RecordMessage,
    RecordMessageDeleted,
    RecordMessageEdited,
    SkipStep,
    UnlinkHashEntry,
    decide,
    replay,
)
from protocols.commands import Command
from protocols.state import IncidentState
from tests.cli_env import isolated_env

START = datetime(2026, 3, 15, 1, 40, tzinfo=UTC)
ADMIN = Actor("u-admin", "Alice Admin", frozenset({INCIDENT_ADMIN}))
BOB = Actor("u-bob", "Bob", frozenset())
CAROL = Actor("u-carol", "Carol", frozenset())
PROTOCOL = ProtocolLibrary().get("gifct-cip")
LATER = START + timedelta(minutes=5)


def declared() -> list[Event]:
    return decide(
        None,
        DeclareIncident("gifct-cip", "Attack", "cip", ADMIN, incident_id="i1"),
        PROTOCOL,
        START,
    )


def given(*more: Command) -> IncidentState:
    events = declared()
    for command in more:
        events += decide(replay(events), command, PROTOCOL, START)
    return replay(events)


def when(state: IncidentState, command: Command) -> list[Event]:
    return decide(state, command, PROTOCOL, LATER)


class VirtualClock:
    """A clock tests move by hand; never reads the real time."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


async def run_sample_incident(
    svc: IncidentService,
    clock: VirtualClock,
    *,
    drill: bool = False,
    incident_id: str = "inc-sample",
) -> str:
    """A GIFCT-style incident touching every kind of event, on the virtual clock."""
    recorder = Actor("bot", "crisisbot", frozenset({TIMELINE_RECORDER, HASH_COORDINATOR}))
    await svc.declare(
        DeclareIncident(
            "gifct-cip",
            "Livestreamed attack",
            "content-incident",
            ADMIN,
            drill=drill,
            incident_id=incident_id,
            participants=(Participant("u-bob", "Bob"),),
        )
    )
    steps = [
        AssignRole("scribe", BOB.id, BOB.name, actor=ADMIN),
        AssignRole("hash-coordinator", CAROL.id, CAROL.name, actor=ADMIN),
        RecordMessage(
            "m1",
            "c1",
            BOB.id,
            BOB.name,
            "Video spreading on two sites",
            clock.now - timedelta(minutes=4),
            actor=recorder,
        ),
        CompleteStep(
            "situational-awareness", note="hub call open", evidence="bridge #1", actor=ADMIN
        ),
        RecordMessageEdited("m1", "Video spreading on three sites", clock.now, actor=recorder),
        AddNote("Perpetrator video confirmed", actor=BOB),
        CompleteStep("assess-criteria", evidence="all four criteria met", actor=ADMIN),
        ChangeSeverity("cip", "video depicts murder", actor=ADMIN),
        CompleteStep("activation-decision", evidence="Operating board, 02:31", actor=ADMIN),
        ActivateIncident("board decision", actor=ADMIN),
        SkipStep("alert-members", reason="done by phone tree", actor=ADMIN),
        CompleteStep("inform-governments", actor=ADMIN),
        RecordMessage(
            "m2",
            "c1",
            CAROL.id,
            CAROL.name,
            "test message",
            clock.now,
            image_hashes=(("pdq", "f" * 64),),
            actor=recorder,
        ),
        RecordMessageDeleted("m2", clock.now, actor=recorder),
        CompleteStep("review-content", evidence="labels agreed", actor=CAROL),
        LinkHashEntry("e-1", "gifct-perpetrator", "pdq", "a" * 64, actor=CAROL),
        LinkHashEntry("e-2", "gifct-perpetrator", "md5", "b" * 32, actor=CAROL),
        UnlinkHashEntry("e-2", "false positive", actor=CAROL),
        RecordMatch("e-1", "smallsite.example", count=3, actor=recorder),
        RecordEscalation("situation-update", ("lead",), actor=recorder),
        CompleteStep("share-hashes", actor=CAROL),
        AttachEvidence(None, "link", "https://example.org/sitrep-1", actor=ADMIN),
        AdvanceStage("upload volume down", actor=ADMIN),
        Conclude("volume decreased", actor=ADMIN),
        Close("debrief scheduled", actor=ADMIN),
    ]
    for command in steps:
        clock.advance(minutes=17)
        await svc.execute(incident_id, command)
    return incident_id


class _TagBalance(HTMLParser):
    """Every non-void element is closed, in order (what a browser would not need, a printer
    pipeline or an archive validator does)."""

    VOID = frozenset({"meta", "br", "link", "img", "hr", "input", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def assert_well_formed_html(html: str) -> None:
    checker = _TagBalance()
    checker.feed(html)
    checker.close()
    assert checker.stack == [], f"unclosed elements: {checker.stack}"


CliRun = Callable[..., "subprocess.CompletedProcess[str]"]


def cli_runner(tmp_path: Path, db: str, *before: str) -> CliRun:
    """Run ``crisisbot [before...] --db DB ARGS...`` as a real process in ``tmp_path``."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crisisbot", *before, "--db", db, *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=isolated_env(tmp_path),
            timeout=60,
        )

    return run
