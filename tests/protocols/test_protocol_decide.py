"""Given events, when a command, then these events (or this refusal): the engine's rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from protocol_support import ADMIN, BOB, CAROL, LATER, PROTOCOL, START, declared, given, when

from protocols import (
    HASH_COORDINATOR,
    ActivateIncident,
    AddNote,
    AdvanceStage,
    AssignRole,
    AttachEvidence,
    ChangeSeverity,
    Close,
    CompleteStep,
    Conclude,
    DeclareIncident,
    DependencyNotMet,
    IncidentActivated,
    IncidentClosed,
    IncidentDeclared,
    InvalidTransition,
    LinkHashEntry,
    NotAllowed,
    RecordMessage,
    RecordMessageEdited,
    ReopenStep,
    RoleAssigned,
    SkipStep,
    StageAdvanced,
    StepCompleted,
    StepReopened,
    UnassignRole,
    UnknownRole,
    UnknownStep,
    decide,
    replay,
)
from protocols.decide import check_step_action


def test_declaring_records_the_incident_and_makes_the_declarer_lead() -> None:
    events = declared()
    assert [type(e) for e in events] == [IncidentDeclared, RoleAssigned]
    state = replay(events)
    assert (state.id, state.status, state.current_stage) == ("i1", "declared", "awareness")
    assert state.holders("lead") == {"u-admin": "Alice Admin"}
    assert state.opened_at == START


def test_declaring_needs_incident_admin_and_a_known_severity() -> None:
    with pytest.raises(NotAllowed, match="incident_admin"):
        decide(
            None, DeclareIncident("gifct-cip", "x", "cip", BOB, incident_id="i"), PROTOCOL, START
        )
    with pytest.raises(InvalidTransition, match="unknown severity 'tier9'"):
        decide(
            None,
            DeclareIncident("gifct-cip", "x", "tier9", ADMIN, incident_id="i"),
            PROTOCOL,
            START,
        )


def test_completing_a_step_records_who_when_and_evidence() -> None:
    state = given()
    [event] = when(
        state, CompleteStep("situational-awareness", note="hub up", evidence="call", actor=ADMIN)
    )
    assert event == StepCompleted(
        at=LATER,
        actor_id="u-admin",
        actor_name="Alice Admin",
        step_id="situational-awareness",
        note="hub up",
        evidence="call",
    )


def test_unmet_dependency_is_refused() -> None:
    with pytest.raises(DependencyNotMet, match="assess-criteria"):
        when(given(), CompleteStep("activation-decision", evidence="board", actor=ADMIN))


def test_unknown_step_and_role_are_refused() -> None:
    with pytest.raises(UnknownStep, match="no step 'nope'"):
        when(given(), CompleteStep("nope", actor=ADMIN))
    with pytest.raises(UnknownRole, match="no role 'janitor'"):
        when(given(), AssignRole("janitor", "u-bob", "Bob", actor=ADMIN))


def test_steps_of_a_stage_that_has_not_started_are_refused() -> None:
    with pytest.raises(InvalidTransition, match="has not started"):
        when(given(), CompleteStep("alert-members", actor=ADMIN))


def test_expected_evidence_is_required_and_links_are_checked() -> None:
    with pytest.raises(InvalidTransition, match="expects text evidence"):
        when(given(), CompleteStep("situational-awareness", actor=ADMIN))
    state = given(
        CompleteStep("situational-awareness", evidence="x", actor=ADMIN),
        CompleteStep("assess-criteria", evidence="x", actor=ADMIN),
        CompleteStep("activation-decision", evidence="x", actor=ADMIN),
    )
    with pytest.raises(InvalidTransition, match="http"):
        when(state, AttachEvidence("alert-members", "link", "not a url", actor=ADMIN))


def test_role_holder_completes_own_step_but_not_others() -> None:
    state = given(AssignRole("lead", "u-bob", "Bob", actor=ADMIN))
    assert when(state, CompleteStep("situational-awareness", evidence="x", actor=BOB))
    with pytest.raises(NotAllowed, match="Carol may not complete step"):
        when(state, CompleteStep("situational-awareness", evidence="x", actor=CAROL))


def test_a_plain_role_may_not_skip_or_assign() -> None:
    state = given(AssignRole("scribe", "u-carol", "Carol", actor=ADMIN))
    with pytest.raises(NotAllowed):
        when(state, SkipStep("situational-awareness", reason="n/a", actor=CAROL))
    with pytest.raises(NotAllowed):
        when(state, AssignRole("scribe", "u-bob", "Bob", actor=CAROL))
    # but anyone may leave a role themselves, and role holders may add notes
    assert when(state, UnassignRole("scribe", "u-carol", actor=CAROL))
    assert when(state, AddNote("on it", actor=CAROL))
    with pytest.raises(NotAllowed):
        when(state, AddNote("hello", actor=BOB))


def test_finishing_the_last_required_step_advances_the_stage() -> None:
    state = given(
        CompleteStep("situational-awareness", evidence="x", actor=ADMIN),
        CompleteStep("assess-criteria", evidence="x", actor=ADMIN),
    )
    completed, advanced = when(state, SkipStep("activation-decision", reason="board", actor=ADMIN))
    assert isinstance(advanced, StageAdvanced)
    assert (advanced.from_stage, advanced.to_stage, advanced.automatic) == (
        "awareness",
        "activation",
        True,
    )


def test_manual_advance_needs_a_reason_and_lists_open_steps() -> None:
    with pytest.raises(InvalidTransition, match="reason"):
        when(given(), AdvanceStage("  ", actor=ADMIN))
    [event] = when(given(), AdvanceStage("criteria obvious", actor=ADMIN))
    assert isinstance(event, StageAdvanced)
    assert event.open_steps == ("situational-awareness", "assess-criteria", "activation-decision")


def test_reopen_returns_a_step_to_pending() -> None:
    state = given(CompleteStep("situational-awareness", evidence="x", actor=ADMIN))
    [event] = when(state, ReopenStep("situational-awareness", reason="wrong", actor=ADMIN))
    assert isinstance(event, StepReopened)
    assert replay([*declared(), event]).step("situational-awareness").status == "pending"
    with pytest.raises(InvalidTransition, match="not done or skipped"):
        when(given(), ReopenStep("situational-awareness", reason="x", actor=ADMIN))


def test_lifecycle_activate_conclude_close() -> None:
    state = given()
    assert [type(e) for e in when(state, ActivateIncident(actor=ADMIN))] == [IncidentActivated]
    with pytest.raises(InvalidTransition, match="only an active incident"):
        when(state, Conclude("done", actor=ADMIN))
    active = given(ActivateIncident(actor=ADMIN))
    with pytest.raises(InvalidTransition, match="already active"):
        when(active, ActivateIncident(actor=ADMIN))
    assert when(active, Conclude("volume down", actor=ADMIN))
    closed = given(ActivateIncident(actor=ADMIN), Close("false alarm", actor=ADMIN))
    with pytest.raises(IncidentClosed):
        when(closed, AddNote("late", actor=ADMIN))


def test_a_step_action_is_checked_before_its_input_is_asked_for() -> None:
    """``check_step_action`` refuses what ``decide`` would refuse whatever evidence or reason
    came with the command (the bot asks it before opening a form)."""
    state = given(ActivateIncident(actor=ADMIN))
    assert check_step_action(state, PROTOCOL, ADMIN, "situational-awareness", "done").id == (
        "situational-awareness"
    )
    with pytest.raises(DependencyNotMet):
        check_step_action(state, PROTOCOL, ADMIN, "assess-criteria", "done")
    assert check_step_action(state, PROTOCOL, ADMIN, "assess-criteria", "skip")
    with pytest.raises(NotAllowed):
        check_step_action(state, PROTOCOL, BOB, "situational-awareness", "done")
    done = given(
        ActivateIncident(actor=ADMIN), CompleteStep("situational-awareness", "x", "e", actor=ADMIN)
    )
    with pytest.raises(InvalidTransition, match="already done"):
        check_step_action(done, PROTOCOL, ADMIN, "situational-awareness", "skip")
    closed = given(Close("false alarm", actor=ADMIN))
    for action in ("done", "skip"):
        with pytest.raises(IncidentClosed):
            check_step_action(closed, PROTOCOL, ADMIN, "situational-awareness", action)


def test_only_incident_admins_close_even_the_lead() -> None:
    state = given(AssignRole("lead", "u-bob", "Bob", actor=ADMIN))
    with pytest.raises(NotAllowed, match="incident_admin"):
        when(state, Close("done", actor=BOB))


def test_severity_changes_need_a_different_known_level() -> None:
    with pytest.raises(InvalidTransition, match="already"):
        when(given(), ChangeSeverity("cip", "x", actor=ADMIN))
    [event] = when(given(), ChangeSeverity("content-incident", "no video", actor=ADMIN))
    assert replay([*declared(), event]).severity == "content-incident"


def test_messages_keep_their_own_time_and_edits() -> None:
    posted = START - timedelta(minutes=3)
    state = given(RecordMessage("m1", "c1", "u-bob", "Bob", "shots", posted, actor=ADMIN))
    with pytest.raises(InvalidTransition, match="already recorded"):
        when(state, RecordMessage("m1", "c1", "u-bob", "Bob", "again", posted, actor=ADMIN))
    [edit] = when(state, RecordMessageEdited("m1", "shots fired", LATER, actor=ADMIN))
    after = replay(
        [
            *declared(),
            *decide(
                replay(declared()),
                RecordMessage("m1", "c1", "u-bob", "Bob", "shots", posted, actor=ADMIN),
                PROTOCOL,
                START,
            ),
            edit,
        ]
    )
    message = after.messages["m1"]
    assert (message.posted_at, message.content, message.edits) == (
        posted,
        "shots fired",
        [(LATER, "shots")],
    )


def test_hash_coordinators_link_hashes_others_may_not() -> None:
    coordinator = BOB.__class__("u-h", "Hana", frozenset({HASH_COORDINATOR}))
    cmd = LinkHashEntry("e1", "perpetrator", "pdq", "ab" * 32, actor=coordinator)
    assert when(given(), cmd)
    with pytest.raises(NotAllowed):
        when(given(), LinkHashEntry("e1", "perpetrator", "pdq", "ab" * 32, actor=CAROL))


@pytest.mark.parametrize("incident_id", ["bad id", "../x", "-x", "a" * 81, "x/y"])
def test_incident_ids_that_cannot_name_a_channel_or_file_are_refused(incident_id: str) -> None:
    with pytest.raises(InvalidTransition, match="bad incident id"):
        decide(
            None,
            DeclareIncident("gifct-cip", "x", "cip", ADMIN, incident_id=incident_id),
            PROTOCOL,
            START,
        )
