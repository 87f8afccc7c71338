"""Rendering is a pure function of the incident state: checked here without any Discord client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.custom_ids import MAX_CUSTOM_ID, parse_step_id
from bot.render import (
    CHECKLIST_STEPS_PER_MESSAGE,
    DueLine,
    channel_name,
    channel_topic,
    checklist_embed,
    checklist_page_for_step,
    checklist_pages,
    checklist_view,
    incident_id_from_topic,
    role_assignment_dm,
    summary_embed,
    tagged,
)
from protocols import (
    Actor,
    AssignRole,
    CompleteStep,
    DeclareIncident,
    IncidentService,
    ProtocolLibrary,
    SkipStep,
    open_incident_service,
)
from protocols.actors import INCIDENT_ADMIN

NOW = datetime(2026, 3, 15, 1, 40, tzinfo=UTC)
ADMIN = Actor("111", "Ana Admin", frozenset({INCIDENT_ADMIN}))
LIBRARY = ProtocolLibrary()


@pytest.fixture
async def service() -> AsyncIterator[IncidentService]:
    async with open_incident_service(":memory:", library=LIBRARY, clock=lambda: NOW) as svc:
        yield svc


async def _declare(
    svc: IncidentService, *, drill: bool = False, title: str = "Mosque attack, Christchurch"
):
    return await svc.declare(DeclareIncident("gifct-cip", title, "cip", ADMIN, drill=drill))


async def test_channel_name_and_topic_carry_the_incident_and_drill_marker(
    service: IncidentService,
) -> None:
    real = await _declare(service)
    drill = await _declare(service, drill=True, title="Tabletop: livestream ** attack!")
    assert channel_name(real).startswith(real.id)
    assert "mosque-attack-christchurch" in channel_name(real)
    assert drill.id.startswith("drill-")  # the engine's drill ids say so: no second prefix
    assert channel_name(drill) == f"{drill.id}-tabletop-livestream-attack"
    chosen = await service.declare(
        DeclareIncident("gifct-cip", "Tabletop", "cip", ADMIN, drill=True, incident_id="inc-7")
    )
    assert channel_name(chosen) == "drill-inc-7-tabletop"
    assert incident_id_from_topic(channel_topic(real)) == real.id
    assert incident_id_from_topic(channel_topic(drill)) == drill.id
    assert channel_topic(drill).startswith("DRILL")
    assert incident_id_from_topic("just a topic") is None
    assert tagged(drill, "hello").startswith("**[DRILL]**")
    assert tagged(real, "hello") == "hello"


async def test_summary_shows_role_holders_stage_and_due_steps(service: IncidentService) -> None:
    state = await _declare(service)
    await service.execute(state.id, AssignRole("scribe", "222", "Sam", actor=ADMIN))
    state = await service.get(state.id)
    protocol = LIBRARY.get("gifct-cip")
    due = [DueLine("situational-awareness", NOW + timedelta(minutes=30), overdue=False)]
    embed = summary_embed(state, protocol, due).to_dict()
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Content Incident Protocol" in fields["Severity"]
    assert fields["Current stage"].startswith("1/")
    assert "**Incident lead (hub coordinator)**: <@111>" in fields["Roles (who to ask)"]
    assert "**Scribe**: <@222>" in fields["Roles (who to ask)"]
    assert "**Communications**: — unassigned" in fields["Roles (who to ask)"]
    assert "Establish situational awareness" in fields["Next due"]
    assert embed["footer"]["text"] == f"incident {state.id} · summary"


async def test_drill_summary_is_marked(service: IncidentService) -> None:
    state = await _declare(service, drill=True)
    embed = summary_embed(state, LIBRARY.get("gifct-cip")).to_dict()
    assert embed["title"].startswith("DRILL")
    assert embed["footer"]["text"].startswith("DRILL")


async def test_checklist_pages_cover_every_step_once_within_discord_limits(
    service: IncidentService,
) -> None:
    for protocol in LIBRARY.all():
        pages = checklist_pages(protocol)
        ids = [s.id for p in pages for s in p.steps]
        assert ids == [s.id for _, s in protocol.steps()]
        assert all(1 <= len(p.steps) <= CHECKLIST_STEPS_PER_MESSAGE for p in pages)


async def test_checklist_buttons_encode_incident_step_and_action(service: IncidentService) -> None:
    state = await _declare(service)
    protocol = LIBRARY.get("gifct-cip")
    await service.execute(
        state.id, CompleteStep("situational-awareness", evidence="ok", actor=ADMIN)
    )
    await service.execute(state.id, SkipStep("assess-criteria", "criteria obvious", actor=ADMIN))
    state = await service.get(state.id)
    page = checklist_page_for_step(protocol, "assess-criteria")
    view = checklist_view(state, page)
    buttons = [item.item for item in view.children]  # type: ignore[attr-defined]
    custom_ids = [button.custom_id for button in buttons]
    assert len(custom_ids) == 3 * len(page.steps)
    assert all(len(c) <= MAX_CUSTOM_ID for c in custom_ids)
    parsed = [parse_step_id(c) for c in custom_ids]
    assert {(p.incident_id, p.step_id) for p in parsed if p} == {
        (state.id, s.id) for s in page.steps
    }
    disabled = {parse_step_id(b.custom_id).step_id for b in buttons if b.disabled}  # type: ignore[union-attr]
    assert disabled == {"situational-awareness", "assess-criteria"}
    description = checklist_embed(state, protocol, page).description or ""
    assert "✅ **Establish situational awareness" in description
    assert "skipped by <@111>: criteria obvious" in description


async def test_role_dm_contains_the_role_instructions(service: IncidentService) -> None:
    state = await _declare(service)
    text = role_assignment_dm(state, LIBRARY.get("gifct-cip"), "hash-coordinator")
    assert "Hash coordinator" in text
    assert "Share hashes only, never the media." in text
