"""The whole incident flow through the real discord.py client against the fake Discord:
open -> checklist buttons (done with evidence, skip with a reason) -> assign -> activate ->
conclude -> export, asserting on the REST calls the bot made and on the stored timeline."""

from __future__ import annotations

from bot.custom_ids import step_button_id
from bot.render import checklist_pages
from tests.bot.conftest import BotRunner, Services, Team
from tests.bot.incident_flow import (
    PROTOCOL,
    bot_messages,
    event_names,
    message_with,
    open_incident,
)
from tests.fake_discord import FakeDiscord
from tests.fake_discord.payloads import EPHEMERAL, OVERWRITE_MEMBER, OVERWRITE_ROLE, VIEW_CHANNEL


async def test_open_creates_private_channel_pinned_summary_and_checklists(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        start = fake.mark()
        channel, incident_id = await open_incident(fake, team, services, participant1=team.dave)

        create = fake.calls("POST", "/guilds/{guild_id}/channels", since=start)[0].json
        assert int(create["parent_id"]) == int(team.category["id"])
        assert incident_id in create["topic"]
        overwrites = {(int(o["type"]), int(o["id"])): o for o in create["permission_overwrites"]}
        everyone = overwrites[(OVERWRITE_ROLE, team.guild.id)]
        assert int(everyone["deny"]) & VIEW_CHANNEL
        for role in (team.admin_role, team.responder_role):
            assert int(overwrites[(OVERWRITE_ROLE, role.id)]["allow"]) & VIEW_CHANNEL
        assert (OVERWRITE_ROLE, team.coordinator_role.id) not in overwrites
        for member_id in (team.dave.id, fake.bot_user.id):
            assert int(overwrites[(OVERWRITE_MEMBER, member_id)]["allow"]) & VIEW_CHANNEL
        assert (OVERWRITE_MEMBER, team.alice.id) in overwrites  # the declarer is a participant
        assert not team.guild.permissions_for(team.mallory.id, int(channel["id"])) & VIEW_CHANNEL
        assert team.guild.permissions_for(team.dave.id, int(channel["id"])) & VIEW_CHANNEL

        # the command is answered privately with a link to the new channel
        answer = fake.interaction_responses[max(fake.interactions)]["data"]
        assert answer["flags"] & EPHEMERAL
        assert f"<#{channel['id']}>" in answer["content"]

        messages = bot_messages(fake, channel)
        summary, *checklists = messages
        assert [m["id"] for m in fake.pinned(channel)] == [summary["id"]]
        fields = {f["name"]: f["value"] for f in summary["embeds"][0]["fields"]}
        assert f"<@{team.alice.id}>" in fields["Roles (who to ask)"]
        assert "Establish situational awareness" in fields["Next due"]
        protocol = services.library.get(PROTOCOL)
        assert len(checklists) == len(checklist_pages(protocol))
        first_step = protocol.stages[0].steps[0].id
        assert message_with(fake, channel, step_button_id(incident_id, first_step, "done"))

        # exactly: channel, answer, summary, pin, one message per checklist page
        made = [(r.method, r.route) for r in fake.calls(since=start) if r.status < 300]
        assert made.count(("POST", "/channels/{channel_id}/messages")) == 1 + len(checklists)
        assert len(made) == 3 + 1 + len(checklists), made
        assert await event_names(services, incident_id) == ["IncidentDeclared", "RoleAssigned"]


async def test_whole_flow_buttons_commands_conclude_and_export(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        summary_id = bot_messages(fake, channel)[0]["id"]

        # "Done" on a step that needs evidence opens a modal; submitting it completes the step
        done_id = step_button_id(incident_id, "situational-awareness", "done")
        click = await fake.click(message_with(fake, channel, done_id), done_id, user=team.alice)
        assert (await fake.wait_for_interaction_response(click))["type"] == 9
        assert await event_names(services, incident_id) == ["IncidentDeclared", "RoleAssigned"]
        submit = await fake.submit_modal(click, {"evidence": "hub call opened 01:52", "note": ""})
        update = await fake.wait_for_interaction_response(submit)
        assert update["type"] == 7  # the checklist message itself is re-rendered
        assert "✅ **Establish situational awareness" in update["data"]["embeds"][0]["description"]
        state = await services.incidents.get(incident_id)
        assert state.step("situational-awareness").evidence == [
            ("evidence", "hub call opened 01:52")
        ]

        # "Skip" asks for a reason
        skip_id = step_button_id(incident_id, "assess-criteria", "skip")
        click = await fake.click(message_with(fake, channel, skip_id), skip_id, user=team.alice)
        await fake.wait_for_interaction_response(click)
        submit = await fake.submit_modal(click, {"reason": "criteria obviously met"})
        assert (await fake.wait_for_interaction_response(submit))["type"] == 7
        assert (await services.incidents.get(incident_id)).step(
            "assess-criteria"
        ).status == "skipped"

        # assigning a role DMs its instructions to the person
        ix = await fake.slash_command(
            "incident assign",
            {"role": "platform-liaison", "user": team.bob},
            user=team.alice,
            channel=channel,
        )
        await fake.wait_for_interaction_response(ix)
        await fake.wait_for(lambda: fake.dm_messages(team.bob), what="DM to bob")
        assert "Alert every member platform" in fake.dm_messages(team.bob)[0]["content"]

        # a slash command completes a step; its checklist message is edited in place
        mark = fake.mark()
        ix = await fake.slash_command(
            "incident step",
            {"action": "done", "step": "activation-decision", "evidence": "lead decided 02:05"},
            user=team.alice,
            channel=channel,
        )
        assert (await fake.wait_for_interaction_response(ix))["type"] == 4
        edit = await fake.wait_for_request(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            where=lambda r: r.params["message_id"] != summary_id,
            since=mark,
        )
        assert "✅ **Record the formal activation decision" in edit.json["embeds"][0]["description"]
        state = await services.incidents.get(incident_id)
        assert state.current_stage == "activation"  # all required steps of stage 1 finished

        # the pinned summary is edited in place, never re-posted
        await fake.wait_for(
            lambda: "Activation and alerts" in str(fake.message(summary_id)["embeds"][0]["fields"]),
            what="summary shows the new stage",
        )
        assert fake.pinned(channel)[0]["id"] == summary_id
        fields = {f["name"]: f["value"] for f in fake.message(summary_id)["embeds"][0]["fields"]}
        assert f"<@{team.bob.id}>" in fields["Roles (who to ask)"]

        for name, options in [
            ("incident note", {"text": "GIFCT hub call at 02:10"}),
            ("incident activate", {"reason": "all CIP criteria met"}),
            ("incident conclude", {"summary": "uploads down 95%"}),
        ]:
            ix = await fake.slash_command(name, options, user=team.alice, channel=channel)
            answer = await fake.wait_for_interaction_response(ix)
            assert not answer["data"].get("flags", 0) & EPHEMERAL, answer

        # concluding disables every checklist button (each page edited once)
        def all_disabled() -> bool:
            return all(
                c.get("disabled")
                for m in bot_messages(fake, channel)[1:]
                for row in m["components"]
                for c in row["components"]
            )

        await fake.wait_for(all_disabled, what="checklist buttons disabled")

        ix = await fake.slash_command(
            "incident export", {"format": "md"}, user=team.alice, channel=channel
        )
        await fake.wait_for_interaction_response(ix)
        upload = fake.calls("POST", "/interactions/{interaction_id}/{interaction_token}/callback")[
            -1
        ]
        (file,) = upload.files
        assert file.filename == f"{incident_id}.md"
        text = file.data.decode()
        assert "Attack on a mosque" in text and "uploads down 95%" in text

        names = await event_names(services, incident_id)
        for expected in (
            "StepCompleted",
            "StepSkipped",
            "RoleAssigned",
            "StageAdvanced",
            "NoteAdded",
            "IncidentActivated",
            "IncidentConcluded",
        ):
            assert expected in names
        assert fake.unhandled_requests == []


async def test_escalate_advance_and_status(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot() as bot:
        channel, incident_id = await open_incident(fake, team, services)
        summary_id = bot_messages(fake, channel)[0]["id"]
        for name, options in [
            ("incident escalate", {"severity": "content-incident", "reason": "video confirmed"}),
            ("incident advance", {"reason": "assessment done by phone"}),
        ]:
            ix = await fake.slash_command(name, options, user=team.alice, channel=channel)
            answer = await fake.wait_for_interaction_response(ix)
            assert not answer["data"].get("flags", 0) & EPHEMERAL, answer
        state = await services.incidents.get(incident_id)
        assert state.severity == "content-incident" and state.stage_index == 1
        await bot.projection.summaries.flush()
        fields = {f["name"]: f["value"] for f in fake.message(summary_id)["embeds"][0]["fields"]}
        assert fields["Current stage"].startswith("2/")

        ix = await fake.slash_command("incident status", {}, user=team.bob, channel=channel)
        status = await fake.wait_for_interaction_response(ix)
        assert status["data"]["flags"] & EPHEMERAL
        assert status["data"]["embeds"][0]["footer"]["text"].endswith("· summary")
        names = await event_names(services, incident_id)
        assert "SeverityChanged" in names and "StageAdvanced" in names
