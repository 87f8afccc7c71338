"""Steps the end-to-end tests share: opening an incident as a user, finding the bot's messages."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.render import checklist_pages
from tests.bot.conftest import Services, Team
from tests.fake_discord import FakeDiscord, FakeInteraction
from tests.fake_discord.payloads import EPHEMERAL

PROTOCOL = "gifct-cip"


async def open_incident(
    fake: FakeDiscord, team: Team, services: Services, **options: Any
) -> tuple[dict[str, Any], str]:
    """Run `/incident open` as alice; wait for the checklists; return (channel, incident id)."""
    args = {"protocol": PROTOCOL, "title": "Attack on a mosque", "severity": "cip", **options}
    ix = await fake.slash_command("incident open", args, user=team.alice, channel=team.general)
    response = await fake.wait_for_interaction_response(ix)
    assert response["type"] == 4, response
    created = await fake.wait_for_request("POST", "/guilds/{guild_id}/channels")
    channel = created.response
    (state,) = await services.incidents.list(open_only=True)
    pages = len(checklist_pages(services.library.get(PROTOCOL)))
    await fake.wait_for(
        lambda: len(fake.messages.get(int(channel["id"]), [])) >= 1 + pages,
        what="summary and checklists posted",
    )
    return channel, state.id


async def private_answer(fake: FakeDiscord, interaction: FakeInteraction) -> dict[str, Any]:
    """The bot's answer to ``interaction``, checked to be a message only its user sees."""
    answer = await fake.wait_for_interaction_response(interaction)
    assert answer["type"] == 4, answer
    assert answer["data"]["flags"] & EPHEMERAL, answer
    return answer


def bot_messages(fake: FakeDiscord, channel: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        m for m in fake.messages[int(channel["id"])] if int(m["author"]["id"]) == fake.bot_user.id
    ]


def message_with(fake: FakeDiscord, channel: dict[str, Any], custom_id: str) -> dict[str, Any]:
    for message in fake.messages[int(channel["id"])]:
        for row in message.get("components", []):
            if any(c.get("custom_id") == custom_id for c in row.get("components", [])):
                return message
    raise AssertionError(f"no message with {custom_id}")


async def recorded(services: Services, incident_id: str, message: dict[str, Any]) -> Any:
    """The timeline record of ``message``, once the (asynchronous) capture is stored."""
    for _ in range(250):
        found = (await services.incidents.get(incident_id)).messages.get(message["id"])
        if found is not None:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"message {message['id']} not recorded")


async def event_names(services: Services, incident_id: str) -> list[str]:
    return [type(r.event).__name__ for r in await services.incidents.events(incident_id)]
