"""In a drill incident every message the bot sends says DRILL: public answers, private answers,
refusals, follow-ups, checklist and summary embeds, reminders and DMs."""

from __future__ import annotations

from typing import Any

from bot.custom_ids import step_button_id
from tests.bot.conftest import BotRunner, Clock, Services, Team
from tests.bot.incident_flow import message_with
from tests.fake_discord import FakeDiscord


def _marked(message: dict[str, Any]) -> bool:
    texts = [message.get("content") or ""]
    for embed in message.get("embeds", []):
        texts += [embed.get("title") or "", (embed.get("footer") or {}).get("text") or ""]
    return any("DRILL" in text for text in texts)


async def test_every_bot_message_in_a_drill_incident_says_drill(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner, clock: Clock
) -> None:
    await services.hashes.create_list("tve", created_by="test")
    async with start_bot() as bot:
        ix = await fake.slash_command(
            "drill start", {"scenario": "false-alarm"}, user=team.alice, channel=team.general
        )
        await fake.wait_for_interaction_response(ix)
        created = await fake.wait_for_request("POST", "/guilds/{guild_id}/channels")
        channel = fake.channels[int(created.response["id"])]
        (state,) = await services.incidents.list(open_only=True)
        await fake.wait_for(lambda: len(fake.messages.get(int(channel["id"]), [])) > 3)
        start = max(fake.interactions)

        for name, options, user in [
            ("incident status", {}, team.alice),
            ("incident note", {"text": "exercise note"}, team.alice),
            ("incident close", {"reason": "not mine"}, team.bob),  # refused
            ("incident assign", {"role": "communications", "user": team.dave}, team.alice),
            ("hash check", {"signal": "md5", "value": "0" * 32}, team.bob),
        ]:
            ix = await fake.slash_command(name, options, user=user, channel=channel)
            await fake.wait_for_interaction_response(ix)
        take = step_button_id(state.id, "content-scope", "own")
        click = await fake.click(message_with(fake, channel, take), take, user=team.alice)
        await fake.wait_for_interaction_response(click)
        await fake.wait_for(lambda: fake.dm_messages(team.dave), what="DM to dave")
        clock.advance(minutes=31)
        await bot.get_cog("Deadlines").tick()  # type: ignore[union-attr]
        await bot.projection.summaries.flush()

        sent = [
            m
            for m in fake.messages[int(channel["id"])]
            if m["author"]["id"] == str(fake.bot_user.id)
        ]
        for ix_id in [i for i in fake.interactions if i > start]:
            interaction = fake.interactions[ix_id]
            ids = [interaction.original_message_id, *interaction.followup_ids]
            sent += [fake.message(i) for i in ids if i is not None]
        sent += fake.dm_messages(team.dave)
        assert any("⏰" in (m.get("content") or "") for m in sent)  # the reminder is included
        unmarked = [m for m in sent if not _marked(m)]
        assert unmarked == []
